// slack: a human-readable line per event to a Slack-compatible incoming webhook (alerts, notices).
import { definePlugin, type DeliveryResult, type OutgoingNotification, type PluginApi } from '../../../core/plugins/sdk.ts';
import { USER_AGENT, channelSettingsSchema, createJsonPoster, type ChannelSettings } from '../../../core/notifications/http-delivery.ts';

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

const poster = createJsonPoster();

export default definePlugin({
  name: 'slack',
  version: '1.0.0',
  kind: 'notification-channel',
  description: 'Posts a one-line summary of each event to a Slack-compatible incoming webhook.',
  enabledByDefault: false,
  settingsSchema: channelSettingsSchema,
  defaultSettings: {},
  deliver(notification: OutgoingNotification, settings: ChannelSettings, api: PluginApi): Promise<DeliveryResult> {
    return poster.post({
      url: notification.endpointUrl,
      body: JSON.stringify({ text: slackText(notification.event) }),
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
      timeoutMs: notification.timeoutMs,
      allowPrivate: settings.allowPrivate === true,
      log: api.log,
    });
  },
  close: () => poster.close(),
});
