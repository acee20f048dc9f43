// After a redirect was answered: judge the click with the handle's bot detectors, give it its
// segment, and hand it to the ClickBuffer. Nothing here delays a response.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActivePlugin, HandlePlugins, PluginHost } from '../plugins/host.ts';
import type { BotDetectorPlugin, BotVerdict, ClickFacts, TrackingPresetPlugin } from '../plugins/sdk.ts';
import type { ClickBuffer, ClickRow } from './click-buffer.ts';
import type { CompiledLink } from './link-cache.ts';

// When several detectors flag a click, the most specific explanation is the one stored.
const REASON_PRECEDENCE = ['link-preview', 'user-agent', 'automation', 'burst'];
const precedence = (p: ActivePlugin) => {
  const i = REASON_PRECEDENCE.indexOf(p.manifest.name);
  return i < 0 ? REASON_PRECEDENCE.length : i;
};
const SEGMENT_MAX = 64;
const USER_AGENT_MAX = 512;
const IP_HASH_MEMO = 4096;

export interface ClickRecorderOptions {
  pluginHost: PluginHost;
  buffer: ClickBuffer;
  log: Logger;
  /** Keys the IP hash: clicks can be grouped by visitor without storing addresses. */
  ipHashKey: string;
}

export class ClickRecorder {
  private readonly pending = new Set<Promise<void>>();
  // Visitors click in bursts from one address: an HMAC costs ~3 µs, a Map lookup nothing.
  private readonly ipHashes = new Map<string, string>();
  // Detectors sorted by precedence, per resolved HandlePlugins (replaced when a handle's plugins change).
  private readonly detectorOrder = new WeakMap<HandlePlugins, ActivePlugin<BotDetectorPlugin>[]>();

  constructor(private readonly opts: ClickRecorderOptions) {}

  /** Enriches and buffers a click in the background; `drain()` waits for every one in progress. */
  record(link: CompiledLink, facts: ClickFacts, clickId: string, destinationUrl: string): void {
    const p = this.enrich(link, facts, clickId, destinationUrl).then(
      (row) => void this.opts.buffer.push(row),
      (err) => this.opts.log.error({ err, clickId }, 'click could not be recorded'),
    );
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
  }

  get inProgress(): number {
    return this.pending.size;
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private ipHash(ip: string): string {
    let hash = this.ipHashes.get(ip);
    if (hash === undefined) {
      hash = createHmac('sha256', this.opts.ipHashKey).update(ip).digest('base64url').slice(0, 22);
      if (this.ipHashes.size >= IP_HASH_MEMO) this.ipHashes.delete(this.ipHashes.keys().next().value!);
      this.ipHashes.set(ip, hash);
    }
    return hash;
  }

  private async enrich(link: CompiledLink, facts: ClickFacts, clickId: string, destinationUrl: string): Promise<ClickRow> {
    let verdict: BotVerdict;
    let segment: string | undefined;
    try {
      const plugins = await this.opts.pluginHost.forHandle(link.handle);
      verdict = await this.judge(plugins, facts);
      segment = this.segment(plugins, link, facts);
    } catch (err) {
      // The handle's plugin settings could not be read (database down, cold process): keep the click unjudged.
      this.opts.log.warn({ err: (err as Error).message, handle: link.handle }, 'plugins unavailable; click stored without bot detection');
      verdict = facts.device === 'bot' ? { bot: true, reason: 'device:bot' } : { bot: false };
    }
    return {
      clickId,
      handle: link.handle,
      campaignId: link.campaignId,
      occurredAt: facts.occurredAt,
      country: facts.country,
      segment: (segment || facts.device).slice(0, SEGMENT_MAX),
      device: facts.device,
      source: facts.source,
      referrerHost: facts.referrerHost,
      language: facts.languages[0] ?? null,
      destinationUrl,
      userAgent: facts.userAgent.slice(0, USER_AGENT_MAX),
      ipHash: facts.ip ? this.ipHash(facts.ip) : null,
      isBot: verdict.bot,
      botReason: verdict.bot ? (verdict.reason ?? 'unspecified').slice(0, 200) : null,
    };
  }

  /** Runs every enabled detector (so counters such as burst see every click); the highest-precedence flag wins. */
  private async judge(plugins: HandlePlugins, facts: ClickFacts): Promise<BotVerdict> {
    let detectors = this.detectorOrder.get(plugins);
    if (!detectors) {
      detectors = [...plugins.botDetectors].sort((a, b) => precedence(a) - precedence(b));
      this.detectorOrder.set(plugins, detectors);
    }
    // Most detectors answer synchronously: only the async ones (burst) cost a promise.
    const verdicts: (BotVerdict | Promise<BotVerdict>)[] = [];
    for (const d of detectors) {
      try {
        const v = d.manifest.inspect(facts, d.settings, plugins.api);
        verdicts.push(v instanceof Promise ? v.catch((err) => this.detectorFailed(d, err)) : v);
      } catch (err) {
        verdicts.push(this.detectorFailed(d, err));
      }
    }
    if (verdicts.some((v) => v instanceof Promise)) return (await Promise.all(verdicts)).find((v) => v.bot) ?? { bot: false };
    return (verdicts as BotVerdict[]).find((v) => v.bot) ?? { bot: false };
  }

  private detectorFailed(d: ActivePlugin, err: unknown): BotVerdict {
    this.opts.log.warn({ err, plugin: d.manifest.name }, 'bot detector failed; its verdict is skipped');
    return { bot: false };
  }

  /** The campaign's preset assigns the segment, else another enabled preset that does, else the device class. */
  private segment(plugins: HandlePlugins, link: CompiledLink, facts: ClickFacts): string | undefined {
    const own = plugins.trackingPreset(link.trackingPreset);
    const first = own?.manifest.segment?.(facts, own.settings);
    if (first) return first;
    for (const p of plugins.all) {
      if (!p.enabled || p.manifest.kind !== 'tracking-preset' || p === own) continue;
      const preset = p.manifest as TrackingPresetPlugin;
      const s = preset.segment?.(facts, p.settings);
      if (s) return s;
    }
    return undefined;
  }
}
