// After a redirect was answered: judge the click with the handle's bot detectors, give it its
// segment, and hand it to the ClickBuffer. Nothing here delays a response.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { pluginText, type ActivePlugin, type BotDetectorPlugin, type BotVerdict, type ClickFacts, type HandlePlugins, type PluginHost, type TrackingPresetPlugin } from '../plugins/index.ts';
import type { ClickBuffer } from './click-buffer.ts';
import type { CompiledLink } from './link-cache.ts';
import { subIdsOf } from './sub-ids.ts';
import { LogThrottle } from '../infra/log-throttle.ts';
import { botClickCount, clickJudgementsSkipped } from './metrics.ts';

// When several detectors flag a click, the most specific explanation is the one stored.
const REASON_PRECEDENCE = ['link-preview', 'user-agent', 'automation', 'burst'];
const precedence = (p: ActivePlugin) => {
  const i = REASON_PRECEDENCE.indexOf(p.manifest.name);
  return i < 0 ? REASON_PRECEDENCE.length : i;
};
const SEGMENT_MAX = 64;
const USER_AGENT_MAX = 512;
const IP_HASH_MEMO = 4096;
const NOT_BOT: BotVerdict = Object.freeze({ bot: false });
/** How long an async detector may take before the click is stored without its verdict. */
export const DETECTOR_DEADLINE_MS = 2_000;

/** Verdicts are in precedence order: the first flag is the stored one (a plugin's non-object answer is no flag). */
/** A verdict and, when it flags the click, the detector that did (for tenx_bot_clicks_total). */
type Judged = BotVerdict & { detector?: string };
/** An async judgement waiting for its detectors; `late` is cleared once they answered (or the deadline passed). */
interface Watch {
  late: (() => void) | null;
  /** The sweep it arrived in. */
  sweep: number;
  /** Its place in `waiting`, until its detectors answered. */
  index: number;
}

function firstFlag(verdicts: BotVerdict[], detectors: readonly ActivePlugin[]): Judged {
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i];
    if (v !== null && typeof v === 'object' && v.bot) return { ...v, detector: detectors[i].manifest.name };
  }
  return NOT_BOT;
}

export interface ClickRecorderOptions {
  pluginHost: PluginHost;
  buffer: ClickBuffer;
  log: Logger;
  /** Keys the IP hash: clicks can be grouped by visitor without storing addresses. */
  ipHashKey: string;
}

export class ClickRecorder {
  // Clicks answered but not yet in the buffer (judged by an async detector, or waiting for plugins).
  private judging = 0;
  private idleWaiters: (() => void)[] = [];
  // Visitors click in bursts from one address: an HMAC costs ~3 µs, a Map lookup nothing.
  private readonly ipHashes = new Map<string, string>();
  // Detectors sorted by precedence, per resolved HandlePlugins (replaced when a handle's plugins change).
  private readonly detectorOrder = new WeakMap<HandlePlugins, ActivePlugin<BotDetectorPlugin>[]>();

  private readonly botCounts = new Map<string, { inc(): void }>();
  // A plugin failing on every click (or plugins unreadable during an outage) would write a line per click.
  private readonly warnings: LogThrottle;

  private readonly opts: ClickRecorderOptions;
  constructor(opts: ClickRecorderOptions) {
    this.opts = opts;
    this.warnings = new LogThrottle(opts.log);
  }

  /**
   * Judges and buffers a click without delaying anything: synchronously when the handle's plugins
   * are resolved and every detector answers at once, else with one promise for the async ones.
   * Promises cost more than their work here (async_hooks run on each), so the path avoids them.
   */
  record(link: CompiledLink, facts: ClickFacts, clickId: string, destinationUrl: string): void {
    const plugins = this.opts.pluginHost.peek(link.handle);
    if (plugins) return this.judgeAndBuffer(plugins, link, facts, clickId, destinationUrl);
    this.judging++;
    this.opts.pluginHost.forHandle(link.handle).then(
      (resolved) => {
        this.settle();
        this.judgeAndBuffer(resolved, link, facts, clickId, destinationUrl);
      },
      (err) => {
        this.settle();
        // The handle's plugin settings could not be read (database down, cold process): keep the click unjudged.
        clickJudgementsSkipped.inc({ detector: 'unjudged', reason: 'plugins_unavailable' });
        this.warnings.warn(`unavailable:${link.handle}`, { err: (err as Error).message, handle: link.handle }, 'plugins unavailable; click stored without bot detection');
        const verdict: BotVerdict = facts.device === 'bot' ? { bot: true, reason: 'device:bot' } : { bot: false };
        this.buffer(link, facts, clickId, destinationUrl, verdict, undefined);
      },
    );
  }

  get inProgress(): number {
    return this.judging;
  }

  /** Resolves once every click handed to record() is in the buffer. */
  async drain(): Promise<void> {
    while (this.judging > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(): void {
    if (--this.judging === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private judgeAndBuffer(plugins: HandlePlugins, link: CompiledLink, facts: ClickFacts, clickId: string, destinationUrl: string): void {
    const segment = this.segment(plugins, link, facts);
    const done = (verdict: Judged) => this.buffer(link, facts, clickId, destinationUrl, verdict, segment);
    let verdict: Judged | null;
    try {
      verdict = this.judge(plugins, facts, done);
    } catch (err) {
      // Runs after the 302 went out: whatever a plugin does, the click is stored, never the response cut.
      verdict = this.unjudged(err);
    }
    if (verdict) done(verdict);
  }

  private botCount(detector: string): { inc(): void } {
    let count = this.botCounts.get(detector);
    if (!count) this.botCounts.set(detector, (count = botClickCount(detector)));
    return count;
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

  private buffer(link: CompiledLink, facts: ClickFacts, clickId: string, destinationUrl: string, verdict: Judged, segment: string | undefined): void {
    if (verdict.bot) this.botCount(verdict.detector ?? 'unknown').inc();
    try {
      const subs = subIdsOf(facts.query);
      this.opts.buffer.push({
        clickId,
        handle: link.handle,
        campaignId: link.campaignId,
        occurredAt: facts.occurredAt,
        country: facts.country,
        segment: segment ?? facts.device,
        device: facts.device,
        source: facts.source,
        referrerHost: facts.referrerHost,
        language: facts.languages[0] ?? null,
        destinationUrl,
        userAgent: facts.userAgent.slice(0, USER_AGENT_MAX),
        ipHash: facts.ip ? this.ipHash(facts.ip) : null,
        isBot: verdict.bot,
        botReason: verdict.bot ? (pluginText(verdict.reason, 200) ?? 'unspecified') : null,
        sub1: subs.sub1,
        sub2: subs.sub2,
        sub3: subs.sub3,
        sub4: subs.sub4,
        sub5: subs.sub5,
      });
    } catch (err) {
      this.opts.log.error({ err, clickId }, 'click could not be recorded');
    }
  }

  /**
   * Runs every enabled detector (so counters such as burst see every click); the highest-precedence
   * flag wins. The verdict when every detector answered synchronously; else null, and `done` gets it
   * once the async ones have (the click counts as being judged until then). One promise reaction per
   * click on that path, not a chain: the reaction itself hands the verdict on.
   */
  private judge(plugins: HandlePlugins, facts: ClickFacts, done: (verdict: Judged) => void): Judged | null {
    let order = this.detectorOrder.get(plugins);
    if (!order) {
      order = [...plugins.botDetectors].sort((a, b) => precedence(a) - precedence(b));
      this.detectorOrder.set(plugins, order);
    }
    const detectors = order;
    const verdicts: (BotVerdict | Promise<BotVerdict>)[] = new Array(detectors.length);
    let waiting = -1;
    let waitingCount = 0;
    for (let i = 0; i < detectors.length; i++) {
      const d = detectors[i];
      try {
        verdicts[i] = d.manifest.inspect(facts, d.settings, plugins.api);
      } catch (err) {
        verdicts[i] = this.detectorFailed(d, err);
      }
      if (verdicts[i] instanceof Promise) {
        waiting = i;
        waitingCount++;
      }
    }
    if (waitingCount === 0) return firstFlag(verdicts as BotVerdict[], detectors);
    // At the deadline: a detector still thinking gets no say (logged), and the click is stored with the others' verdicts.
    const entry: Watch = {
      sweep: this.sweeps,
      index: -1,
      late: () => {
        for (let i = 0; i < verdicts.length; i++) if (verdicts[i] instanceof Promise) verdicts[i] = this.detectorLate(detectors[i]);
        finish();
      },
    };
    const finish = () => {
      if (entry.late === null) return; // judged already: the deadline passed before this answer
      entry.late = null;
      this.unwatch(entry);
      this.settle();
      let verdict: Judged;
      try {
        verdict = firstFlag(verdicts as BotVerdict[], detectors);
      } catch (err) {
        verdict = this.unjudged(err); // a verdict that throws when read: the click is kept, unflagged
      }
      done(verdict);
    };
    if (waitingCount === 1) {
      // The usual case (burst): one promise, no Promise.all.
      const i = waiting;
      void (verdicts[i] as Promise<BotVerdict>).then(
        (v) => ((verdicts[i] = v), finish()),
        (err) => ((verdicts[i] = this.detectorFailed(detectors[i], err)), finish()),
      );
    } else {
      void Promise.all(
        verdicts.map((v, i) => (v instanceof Promise ? v.then((r) => (verdicts[i] = r), (err) => (verdicts[i] = this.detectorFailed(detectors[i], err))) : v)),
      ).then(finish);
    }
    // Counted once the reactions are attached: a then() that throws (a broken thenable) leaves nothing to wait for,
    // and the caller stores the click unjudged.
    this.judging++;
    this.watch(entry);
    return null;
  }

  /**
   * Async judgements not back yet, and one sweep every quarter of the deadline for all of them: per click no
   * timer, clock read or map (the burst detector answers every click with a promise), only a small entry that
   * leaves `waiting` as soon as its detectors answered (moved over by the last one: no search, no hashing). An
   * entry still there four sweeps after it arrived is late. Entries must not outlive their answer: kept for the
   * whole deadline (as they were until 2026-12-05), every click's entry lived through several scavenges and was
   * promoted, which tripled the young generation's pauses (10 against 3.3 ms) and cost ~6 µs of CPU a redirect.
   */
  private readonly waiting: Watch[] = [];
  private sweeps = 0;
  private sweeper: NodeJS.Timeout | null = null;

  private watch(entry: Watch): void {
    entry.index = this.waiting.push(entry) - 1;
    this.sweeper ??= setInterval(() => this.sweep(), DETECTOR_DEADLINE_MS / 4).unref();
  }

  private unwatch(entry: Watch): void {
    const last = this.waiting.pop()!;
    if (last !== entry) {
      this.waiting[entry.index] = last;
      last.index = entry.index;
    }
  }

  private sweep(): void {
    this.sweeps++;
    // From the end: an entry that leaves is replaced by the last one, which this loop has already seen.
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const entry = this.waiting[i];
      if (this.sweeps - entry.sweep >= 4) entry.late?.();
    }
    if (this.sweeper && this.waiting.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** Judging itself failed (a plugin broke the contract beyond one verdict): the click is kept, unflagged. */
  private unjudged(err: unknown): BotVerdict {
    clickJudgementsSkipped.inc({ detector: 'unjudged', reason: 'failed' });
    this.warnings.warn('unjudged', { err }, 'bot detection failed; the click is stored unflagged');
    return NOT_BOT;
  }

  private detectorLate(d: ActivePlugin): BotVerdict {
    clickJudgementsSkipped.inc({ detector: d.manifest.name, reason: 'late' });
    this.warnings.warn(`late:${d.manifest.name}`, { plugin: d.manifest.name, deadlineMs: DETECTOR_DEADLINE_MS }, 'bot detector did not answer in time; its verdict is skipped');
    return NOT_BOT;
  }

  private detectorFailed(d: ActivePlugin, err: unknown): BotVerdict {
    clickJudgementsSkipped.inc({ detector: d.manifest.name, reason: 'failed' });
    this.warnings.warn(`failed:${d.manifest.name}`, { err, plugin: d.manifest.name }, 'bot detector failed; its verdict is skipped');
    return { bot: false };
  }

  /** The campaign's preset assigns the segment, else another enabled preset that does, else the device class. */
  private segment(plugins: HandlePlugins, link: CompiledLink, facts: ClickFacts): string | undefined {
    try {
      return this.presetSegment(plugins, link, facts);
    } catch (err) {
      this.warnings.warn(`segment:${link.handle}`, { err, handle: link.handle }, 'tracking preset failed to assign a segment; the device class is used');
      return undefined;
    }
  }

  private presetSegment(plugins: HandlePlugins, link: CompiledLink, facts: ClickFacts): string | undefined {
    const own = plugins.trackingPreset(link.trackingPreset);
    const first = pluginText(own?.manifest.segment?.(facts, own.settings), SEGMENT_MAX);
    if (first) return first;
    for (const p of plugins.all) {
      if (!p.enabled || p.manifest.kind !== 'tracking-preset' || p === own) continue;
      const preset = p.manifest as TrackingPresetPlugin;
      const s = pluginText(preset.segment?.(facts, p.settings), SEGMENT_MAX);
      if (s) return s;
    }
    return undefined;
  }
}
