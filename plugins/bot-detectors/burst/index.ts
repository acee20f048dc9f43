// Flags a client IP that clicks one campaign's link more often than a person would in a minute.
import { definePlugin, type BotDetectorPlugin } from '../../../core/plugins/sdk.ts';

export interface BurstSettings {
  maxClicksPerMinute: number;
}

const WINDOW_SECONDS = 60;

export default definePlugin<BotDetectorPlugin<BurstSettings>>({
  name: 'burst',
  version: '1.0.0',
  kind: 'bot-detector',
  description: 'Flags more than maxClicksPerMinute clicks from one client IP on one campaign within a minute.',
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { maxClicksPerMinute: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
  },
  defaultSettings: { maxClicksPerMinute: 30 },
  async inspect(click, settings, api) {
    if (!click.ip) return { bot: false };
    const max = settings?.maxClicksPerMinute ?? 30;
    let count: number;
    try {
      // The kernel scopes counter keys to the handle, so campaignId + ip is unique enough here.
      count = await api.incrementCounter(`burst:${click.campaignId}:${click.ip}`, WINDOW_SECONDS);
    } catch (err) {
      api.log.warn({ err, plugin: 'burst' }, 'burst counter unavailable; click not judged');
      return { bot: false };
    }
    return count > max ? { bot: true, reason: `burst:${count}/min`, score: Math.min(1, count / (2 * max)) } : { bot: false };
  },
});
