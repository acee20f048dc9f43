// Compiled short links in an in-process Map: the redirect's warm path never queries the database.
// Misses load once per key (concurrent misses share the load); changes arrive on the bus.
import { type Campaign, canonicalRules, redirectableUrl } from '../campaigns/index.ts';
import type { GoalTypePlugin, PluginHost, TrackingPresetPlugin } from '../plugins/index.ts';
import { compileRules, type CompiledRules } from './routing.ts';

export interface CompiledLink {
  /** `{handle}/{slug}`: also the request path without its leading slash. */
  readonly key: string;
  readonly handle: string;
  readonly slug: string;
  readonly campaignId: string;
  readonly trackingPreset: string;
  readonly goalType: string;
  /** Only ACTIVE campaigns redirect; others are cached so their 404 needs no query either. */
  readonly live: boolean;
  readonly destinationUrl: string;
  readonly rules: CompiledRules;
  /** The raw rules, serialized once, for the worker pool. */
  readonly rulesJson: string;
  /** Changes whenever the campaign does: the worker pool's key for its compiled copy. */
  readonly version: string;
  readonly ctxParam: string;
  readonly windowDays: number;
  /** Whether matching + signing go to the worker pool (fixed by REDIRECT_OFFLOAD, or learnt in `auto`). */
  offload: boolean;
  /** `auto` mode's sampling of inline match time (µs). */
  clicks: number;
  matchSamplesUs: number[];
}

export function compileLink(c: Campaign, pluginHost: PluginHost, offloadAll: boolean): CompiledLink {
  const goal = pluginHost.get(c.goalType) as GoalTypePlugin | undefined;
  const preset = pluginHost.get(c.trackingPreset) as TrackingPresetPlugin | undefined;
  // Rows stored before destinations were canonicalised still redirect as a browser reads them, without userinfo.
  const rules = canonicalRules(c.routingRules, redirectableUrl);
  return {
    key: `${c.handle}/${c.slug}`,
    handle: c.handle,
    slug: c.slug,
    campaignId: c.campaignId,
    trackingPreset: c.trackingPreset,
    goalType: c.goalType,
    live: c.status === 'ACTIVE',
    destinationUrl: redirectableUrl(c.destinationUrl),
    rules: compileRules(rules, goal?.conditions ?? {}),
    rulesJson: JSON.stringify(rules),
    version: `${c.handle}/${c.slug}@${new Date(c.updatedAt).getTime()}`,
    ctxParam: preset?.ctxParam ?? 'ctx',
    windowDays: c.attributionWindowDays,
    offload: offloadAll,
    clicks: 0,
    matchSamplesUs: [],
  };
}

interface Entry {
  handle: string;
  slug: string;
  link: CompiledLink | null;
  loadedAt: number;
  /** Set when invalidations may have been missed (Redis was down): refresh on next use. */
  stale: boolean;
}

export interface LinkCacheOptions {
  load(handle: string, slug: string): Promise<Campaign | null>;
  compile(c: Campaign): CompiledLink;
  onError(err: unknown, key: string): void;
  /** Unknown links are remembered this long (bounds scans of random slugs). */
  negativeTtlMs?: number;
  /** Unknown links remembered at most (kept apart, so a scan of random slugs cannot evict live links). */
  maxMisses?: number;
  /** A link older than this is reloaded in the background on use (safety net for lost bus messages). */
  refreshAfterMs?: number;
  maxEntries?: number;
}

export class LinkCache {
  private readonly entries = new Map<string, Entry>();
  // Known-unknown links (link: null), bounded on their own.
  private readonly misses = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<CompiledLink | null>>();
  // Bumped by every invalidation: a load that started before one must not cache what it read.
  private epoch = 0;
  private readonly negativeTtlMs: number;
  private readonly refreshAfterMs: number;
  private readonly maxEntries: number;
  private readonly maxMisses: number;

  private readonly opts: LinkCacheOptions;
  constructor(opts: LinkCacheOptions) {
    this.opts = opts;
    this.negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.refreshAfterMs = opts.refreshAfterMs ?? 30_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.maxMisses = opts.maxMisses ?? 10_000;
  }

  /** Known links held (unknown ones not counted). */
  get size(): number {
    return this.entries.size;
  }

  /** The warm path: a live link this process knows, else undefined. Never waits, never queries. */
  peekLive(key: string): CompiledLink | undefined {
    const e = this.entries.get(key);
    if (e === undefined || e.link === null || !e.link.live) return undefined;
    if (e.stale || Date.now() - e.loadedAt > this.refreshAfterMs) this.refresh(e, key);
    return e.link;
  }

  /** The cold path: what this process knows, else one (shared) database load. null = no such link. */
  async load(handle: string, slug: string): Promise<CompiledLink | null> {
    const key = `${handle}/${slug}`;
    const e = this.entries.get(key) ?? this.misses.get(key);
    if (e && !e.stale && (e.link !== null || Date.now() - e.loadedAt < this.negativeTtlMs)) return e.link;
    return this.fetch(handle, slug, key);
  }

  /** A campaign changed: forget its link now, and reload it in the background if it was in use. */
  invalidate(handle: string, slug: string): void {
    const key = `${handle}/${slug}`;
    this.epoch++;
    const had = this.entries.get(key);
    this.entries.delete(key);
    this.misses.delete(key);
    this.inflight.delete(key);
    if (had?.link) this.refresh(had, key);
  }

  /** Invalidations may have been lost (the bus was down): revalidate everything on next use. */
  markAllStale(): void {
    this.epoch++;
    this.misses.clear();
    for (const e of this.entries.values()) e.stale = true;
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.misses.clear();
    this.inflight.clear();
  }

  private refresh(e: Entry, key: string): void {
    if (this.inflight.has(key)) return;
    this.fetch(e.handle, e.slug, key).catch((err) => this.opts.onError(err, key));
  }

  private fetch(handle: string, slug: string, key: string): Promise<CompiledLink | null> {
    const running = this.inflight.get(key);
    if (running) return running;
    const started = this.epoch;
    const p = this.opts.load(handle, slug).then((row) => {
      const link = row ? this.opts.compile(row) : null;
      if (this.epoch === started) this.store(key, { handle, slug, link, loadedAt: Date.now(), stale: false });
      return link;
    });
    this.inflight.set(key, p);
    const done = () => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    };
    p.then(done, done);
    return p;
  }

  private store(key: string, entry: Entry): void {
    const [map, max, other] = entry.link ? [this.entries, this.maxEntries, this.misses] : [this.misses, this.maxMisses, this.entries];
    other.delete(key);
    // Re-inserting moves the key to the end, so the first key is always the least recently loaded.
    map.delete(key);
    if (map.size >= max) map.delete(map.keys().next().value!);
    map.set(key, entry);
  }
}
