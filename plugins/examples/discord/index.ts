// discord: an example notification channel that posts one readable line per event to a Discord webhook URL.
import { definePlugin, type DeliveryResult, type NotificationChannelPlugin, type OutgoingNotification } from 'tenx/plugin';

/** `allowPrivate` is injected by the kernel from WEBHOOK_ALLOW_PRIVATE; a handle cannot set it. */
export interface DiscordSettings {
  username?: string;
  allowPrivate?: boolean;
}

/** "conversion.tested · partner-alpha · 24.99 USD (affiliate_click)" */
export function discordLine(event: OutgoingNotification['event']): string {
  const d = event.data;
  const parts = [event.type, typeof d.campaignId === 'string' ? d.campaignId : event.handle];
  if (typeof d.value === 'number') parts.push(`${d.value.toFixed(2)} ${d.currency ?? ''}`.trim() + (d.eventType ? ` (${d.eventType})` : ''));
  // Discord renders @everyone and markdown: neutralise them, event data comes from outside.
  return parts.join(' · ').replace(/@/g, '@\u200b').replace(/[`*_~|]/g, '\\$&').slice(0, 1900);
}

async function deliver(n: OutgoingNotification, settings: DiscordSettings): Promise<DeliveryResult> {
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  // The kernel refused private endpoints when the webhook was created; plain http is refused here too.
  if (!n.endpointUrl.startsWith('https://') && !settings.allowPrivate) return { ok: false, latencyMs: 0, error: 'endpoint_not_allowed' };
  try {
    const res = await fetch(n.endpointUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'tenx-discord-example/1' },
      body: JSON.stringify({ content: discordLine(n.event), username: settings.username ?? 'tenx' }),
      redirect: 'manual',
      signal: AbortSignal.timeout(n.timeoutMs),
    });
    const responseSnippet = (await res.text()).slice(0, 1024) || undefined;
    return { ok: res.ok, statusCode: res.status, latencyMs: latencyMs(), ...(!res.ok && { error: `http_${res.status}` }), responseSnippet };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, latencyMs: latencyMs(), error: e.name === 'TimeoutError' ? 'timeout' : `other:${e.cause?.code ?? e.name}` };
  }
}

export default definePlugin<NotificationChannelPlugin<DiscordSettings>>({
  name: 'discord',
  version: '1.0.0',
  kind: 'notification-channel',
  description: 'Example: one line per event to a Discord webhook (subscribe with "channel": "discord").',
  enabledByDefault: false,
  settingsSchema: { type: 'object', additionalProperties: false, properties: { username: { type: 'string', minLength: 1, maxLength: 80 } } },
  defaultSettings: {},
  deliver: (notification, settings) => deliver(notification, settings),
});
