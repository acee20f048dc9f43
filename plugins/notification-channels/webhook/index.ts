// webhook: POSTs each event, Standard Webhooks-signed, to the integrator's endpoint.
import { definePlugin, type DeliveryResult, type OutgoingNotification, type PluginApi } from '../../../core/plugins/sdk.ts';
import { signatureHeaders } from '../../../core/notifications/signing.ts';
import { USER_AGENT, channelSettingsSchema, type ChannelSettings } from '../../../core/notifications/http-delivery.ts';

// Moved to core/notifications/http-delivery.ts (shared by every channel); re-exported for existing importers.
export { USER_AGENT, channelSettingsSchema, classifyError, createJsonPoster, type ChannelSettings, type JsonSend } from '../../../core/notifications/http-delivery.ts';

/**
 * Every header of one send. Pure (no I/O), so the kernel can move signing to a worker pool; headers
 * the kernel already signed (notification.signatureHeaders) are used as they are.
 */
export function webhookRequestHeaders(notification: OutgoingNotification, nowSeconds: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...(notification.signatureHeaders ?? signatureHeaders(notification.deliveryId, nowSeconds, notification.body, notification.secrets)),
  };
}

export default definePlugin({
  name: 'webhook',
  version: '1.0.0',
  kind: 'notification-channel',
  description: 'Signed (Standard Webhooks) JSON POST of each event to the endpoint, SSRF-checked at every send (PluginApi.postJson).',
  settingsSchema: channelSettingsSchema,
  defaultSettings: {},
  async deliver(notification: OutgoingNotification, _settings: ChannelSettings, api: PluginApi): Promise<DeliveryResult> {
    let headers: Record<string, string>;
    try {
      headers = webhookRequestHeaders(notification, Math.floor(Date.now() / 1000));
    } catch (err) {
      // A malformed stored secret is recorded as a failed attempt rather than crashing the sender.
      api.log.warn({ deliveryId: notification.deliveryId, err: (err as Error).message }, 'webhook signing failed');
      return { ok: false, latencyMs: 0, error: 'other:signing' };
    }
    // The body string is sent byte for byte: it is what the signature covers.
    return api.postJson(notification.endpointUrl, notification.body, headers, { timeoutMs: notification.timeoutMs });
  },
});
