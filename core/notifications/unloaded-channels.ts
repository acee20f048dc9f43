// At start: webhook subscriptions whose channel this server did not load (its plugin left PLUGINS) stay listed, and each
// of their deliveries fails with `channel_disabled` until it ends `failed`. An integrator's pass restarted without a
// channel plugin and saw nothing say so: one warn line per such channel, with how many subscriptions use it.
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { PluginHost } from '../plugins/index.ts';

export async function warnUnloadedChannels(pg: Pick<Pool, 'query'>, host: Pick<PluginHost, 'get'>, log: Logger): Promise<void> {
  // Partner postbacks (partner_id set) go through the kernel's own `postback` channel, never a plugin.
  const { rows } = await pg.query<{ channel: string; n: number }>(
    'select channel, count(*)::int as n from webhooks where partner_id is null group by channel',
  );
  for (const { channel, n } of rows) {
    if (host.get(channel)?.kind === 'notification-channel') continue;
    log.warn(
      { channel, subscriptions: n },
      'webhook subscriptions use a notification channel this server did not load: their deliveries fail with channel_disabled (load its plugin with PLUGINS, or delete them)',
    );
  }
}
