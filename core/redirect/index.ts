import { join } from 'node:path';
import { asClass, asFunction } from 'awilix';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { type CampaignChange, CAMPAIGNS_CHANGED, type CampaignService } from '../campaigns/index.ts';
import { parseTrustedProxies } from '../http/client-ip.ts';
import type { Bus } from '../infra/bus.ts';
import type { TenxModule } from '../module.ts';
import type { OutboxService } from '../outbox/index.ts';
import type { PluginHost } from '../plugins/index.ts';
import { ClickBuffer } from './click-buffer.ts';
import { ClickPartitions } from './click-partitions.ts';
import { ClickRecorder } from './click-recorder.ts';
import { openClickSpill } from './click-spill.ts';
import type { CtxCodec } from './ctx-token.ts';
import { createFastLane } from './fast-lane.ts';
import { compileLink, LinkCache } from './link-cache.ts';
import { Redirector } from './redirector.ts';
import { redirectRoutes } from './routes.ts';

// What other modules use: the click context (ctx) token a conversion carries back.
export type { CtxClaims, CtxCodec } from './ctx-token.ts';
// How conversions find their click on the partitioned clicks table.
export { clickByIdLateral } from './click-lookup.ts';

interface Cradle {
  config: Config;
  log: Logger;
  pg: Pool;
  /** Embedded PostgreSQL (PGlite) rather than a server. */
  embedded: boolean;
  bus: Bus;
  outbox: OutboxService;
  pluginHost: PluginHost;
  campaigns: CampaignService;
  ctxCodec: CtxCodec;
  linkCache: LinkCache;
  clickBuffer: ClickBuffer;
  clickPartitions: ClickPartitions;
  clickRecorder: ClickRecorder;
  redirector: Redirector;
}

// Per process: the Redis listener to remove on stop and the bus subscription to cancel.
const detach = new WeakMap<object, () => void>();

/** The redirect hot path: link cache, fast lane, Koa fallback route, click recorder and buffer. */
export const redirectModule: TenxModule = {
  name: 'redirect',
  register(container) {
    container.register({
      linkCache: asFunction(({ campaigns, pluginHost, config, log }: Cradle) => new LinkCache({
        load: (handle, slug) => campaigns.findByLink(handle, slug),
        compile: (c) => compileLink(c, pluginHost, config.redirectOffload === 'workers'),
        onError: (err, key) => log.warn({ err: (err as Error).message, link: key }, 'link refresh failed; serving the cached copy'),
      })).singleton(),
      clickBuffer: asFunction(({ pg, outbox, log, config, embedded }: Cradle) => new ClickBuffer({
        pg, outbox, log, oneMessage: !embedded, flushMs: config.clickFlushMs, batchSize: config.clickBatchSize, maxBuffered: config.clickBufferMax,
        spill: config.clickSpillMaxMb > 0
          ? openClickSpill({ dir: join(config.dataDir, 'click-spill'), maxBytes: config.clickSpillMaxMb * 1024 * 1024, log })
          : undefined,
      })).singleton(),
      clickPartitions: asClass(ClickPartitions).singleton(),
      clickRecorder: asFunction(({ pluginHost, clickBuffer, log, config }: Cradle) =>
        new ClickRecorder({ pluginHost, buffer: clickBuffer, log, ipHashKey: config.secretKey })).singleton(),
      redirector: asFunction(({ config, ctxCodec, clickRecorder, log }: Cradle) => new Redirector({
        config, codec: ctxCodec, recorder: clickRecorder, log,
        facts: { trustedProxies: parseTrustedProxies(config.trustedProxies), countryHeader: config.countryHeader.toLowerCase() },
      })).singleton(),
      fastLane: asFunction(({ linkCache, redirector, log }: Cradle) => createFastLane(linkCache, redirector, log)).singleton(),
    });
  },
  routes: () => redirectRoutes,
  async start(cradle) {
    const { bus, linkCache, clickBuffer, clickPartitions, redirector } = cradle as Cradle;
    void redirector; // built now (its worker pool, its compiled proxies), not on the first click
    const unsubscribe = bus.subscribe(CAMPAIGNS_CHANGED, (m: CampaignChange) => linkCache.invalidate(m.handle, m.slug));
    // The bus is back: invalidations published while it was down never arrived, so revalidate every link.
    const stopResuming = bus.onResume(() => linkCache.markAllStale());
    detach.set(cradle, () => {
      unsubscribe();
      stopResuming();
    });
    clickBuffer.start();
    await clickPartitions.start();
  },
  async stop(cradle) {
    const { clickRecorder, clickBuffer, clickPartitions, redirector, config } = cradle as Cradle;
    detach.get(cradle)?.();
    await clickPartitions.stop();
    // The server has stopped answering: finish judging the clicks already answered, then write them all.
    await clickRecorder.drain();
    // Until the kernel's shutdown deadline (before the process forces its exit: past it the clicks would be lost unsaid).
    const deadline = (cradle as { shutdownDeadline: number | null }).shutdownDeadline ?? Date.now() + config.shutdownTimeoutMs;
    await clickBuffer.close(deadline - Date.now());
    await redirector.close();
  },
};
