// slack: a human-readable line per event to a Slack-compatible incoming webhook (alerts, notices).
import { definePlugin, type DeliveryResult, type OutgoingNotification, type PluginApi } from '../../../core/plugins/sdk.ts';
import { channelSettingsSchema, type ChannelSettings } from '../../../core/notifications/http-delivery.ts';

// Slack treats &, < and > as markup (links, @channel), so event data must not carry them raw.
const escapeSlack = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One line summarising an event, e.g. "conversion.tested for campaign partner-alpha: 24.99 USD". */
export function slackText(event: OutgoingNotification['event']): string {
  const { campaignId, value, currency, message } = event.data;
  let text = typeof campaignId === 'string' ? `${event.type} for campaign ${campaignId}` : `${event.type} for handle ${event.handle}`;
  const amount = typeof value === 'string' ? Number(value) : value;
  if (typeof amount === 'number' && Number.isFinite(amount)) text += `: ${amount.toFixed(2)}${typeof currency === 'string' ? ` ${currency}` : ''}`;
  if (typeof message === 'string' && message) text += ` (${message})`;
  return escapeSlack(text);
}

export default definePlugin({
  name: 'slack',
  version: '1.0.0',
  kind: 'notification-channel',
  description: 'Posts a one-line summary of each event to a Slack-compatible incoming webhook.',
  enabledByDefault: false,
  settingsSchema: channelSettingsSchema,
  defaultSettings: {},
  deliver(notification: OutgoingNotification, _settings: ChannelSettings, api: PluginApi): Promise<DeliveryResult> {
    return api.postJson(notification.endpointUrl, { text: slackText(notification.event) }, {}, { timeoutMs: notification.timeoutMs });
  },
});
