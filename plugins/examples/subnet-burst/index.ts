// subnet-burst: an example bot detector that counts clicks per network (IPv4 /24, IPv6 /48) with the kernel's counters.
import { isIP } from 'node:net';
import { definePlugin, type BotDetectorPlugin } from 'tenx/plugin';

export interface SubnetBurstSettings {
  /** More clicks than this on one campaign from one network within a minute are flagged. */
  maxClicksPerMinute: number;
}

/** The network a click comes from: click farms rotate addresses inside one range. */
export function subnetOf(ip: string): string | null {
  const family = isIP(ip);
  if (family === 4) return ip.split('.').slice(0, 3).join('.') + '.0/24';
  if (family === 6) {
    // Expand `::` just enough to take the first three groups.
    const [head, tail = ''] = ip.toLowerCase().split('::');
    const groups = [...head.split(':').filter(Boolean), ...Array(8).fill('0')].slice(0, 8 - tail.split(':').filter(Boolean).length);
    return groups.slice(0, 3).join(':') + '::/48';
  }
  return null;
}

export default definePlugin<BotDetectorPlugin<SubnetBurstSettings>>({
  name: 'subnet-burst',
  version: '1.0.0',
  kind: 'bot-detector',
  description: 'Example: flags more than maxClicksPerMinute clicks per campaign from one /24 (IPv4) or /48 (IPv6) network.',
  enabledByDefault: false,
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { maxClicksPerMinute: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
  },
  defaultSettings: { maxClicksPerMinute: 120 },
  async inspect(click, settings, api) {
    const subnet = subnetOf(click.ip);
    if (!subnet) return { bot: false };
    let count: number;
    try {
      // Shared by every server process (Redis when configured); the kernel prefixes the key with the handle.
      count = await api.incrementCounter(`subnet-burst:${click.campaignId}:${subnet}`, 60);
    } catch (err) {
      api.log.warn({ err: (err as Error).message, plugin: 'subnet-burst' }, 'counter unavailable; click not judged');
      return { bot: false };
    }
    const max = settings.maxClicksPerMinute;
    return count > max ? { bot: true, reason: `subnet_burst:${count}/min`, score: Math.min(1, count / (2 * max)) } : { bot: false };
  },
});
