// discord: an example notification channel that posts one readable line per event to a Discord webhook URL.
import { definePlugin, type DeliveryResult, type NotificationChannelPlugin, type OutgoingNotification, type PluginApi } from 'tenx/plugin';

export interface DiscordSettings {
  username?: string;
}

/** "conversion.tested · partner-alpha · 24.99 USD (affiliate_click)" */
export function discordLine(event: OutgoingNotification['event']): string {
  const d = event.data;
  const parts = [event.type, typeof d.campaignId === 'string' ? d.campaignId : event.handle];
  if (typeof d.value === 'number') parts.push(`${d.value.toFixed(2)} ${d.currency ?? ''}`.trim() + (d.eventType ? ` (${d.eventType})` : ''));
  // Discord renders @everyone and markdown: neutralise them, event data comes from outside.
  return parts.join(' · ').replace(/@/g, '@\u200b').replace(/[`*_~|]/g, '\\$&').slice(0, 1900);
}

// Posts with api.postJson, never fetch: the kernel's SSRF guard (https, public addresses re-checked at
// connect time, allowed ports, no redirects) then applies to this channel as to the built-in ones.
function deliver(n: OutgoingNotification, settings: DiscordSettings, api: PluginApi): Promise<DeliveryResult> {
  const body = { content: discordLine(n.event), username: settings.username ?? 'tenx' };
  return api.postJson(n.endpointUrl, body, { 'user-agent': 'tenx-discord-example/1' }, { timeoutMs: n.timeoutMs });
}

export default definePlugin<NotificationChannelPlugin<DiscordSettings>>({
  name: 'discord',
  version: '1.0.0',
  kind: 'notification-channel',
  description: 'Example: one line per event to a Discord webhook (subscribe with "channel": "discord").',
  enabledByDefault: false,
  settingsSchema: { type: 'object', additionalProperties: false, properties: { username: { type: 'string', minLength: 1, maxLength: 80 } } },
  defaultSettings: {},
  deliver: (notification, settings, api) => deliver(notification, settings, api),
});
