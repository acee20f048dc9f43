// Flags a client IP that clicks one campaign's link more often than a person would in a minute.
import { definePlugin, type BotDetectorPlugin } from '../../../core/plugins/sdk.ts';

export interface BurstSettings {
  maxClicksPerMinute: number;
}

const WINDOW_SECONDS = 60;
const NOT_BOT = Object.freeze({ bot: false });

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
  // A plain function returning the counter's promise with one reaction, not an async function: this runs
  // on every click, and an async function's own promise and resumption cost more than the verdict.
  inspect(click, settings, api) {
    if (!click.ip) return NOT_BOT;
    const max = settings?.maxClicksPerMinute ?? 30;
    const unavailable = (err: unknown) => {
      api.log.warn({ err, plugin: 'burst' }, 'burst counter unavailable; click not judged');
      return NOT_BOT;
    };
    let counted: Promise<number>;
    try {
      // The kernel scopes counter keys to the handle, so campaignId + ip is unique enough here.
      counted = api.incrementCounter(`burst:${click.campaignId}:${click.ip}`, WINDOW_SECONDS);
    } catch (err) {
      return unavailable(err);
    }
    return counted.then(
      (count) => (count > max ? { bot: true, reason: `burst:${count}/min`, score: Math.min(1, count / (2 * max)) } : NOT_BOT),
      unavailable,
    );
  },
});
