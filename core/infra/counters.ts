import { withDeadline } from './deadline.ts';
import type { Redis } from './redis.ts';

/**
 * Fixed-window counters shared by all processes through Redis; while Redis is absent or down, an
 * in-process window keeps burst detection and rate limiting working on this process alone.
 */
export interface Counters {
  /** Counts one event in the key's current window; resolves to the window's count including it. */
  increment(key: string, windowSeconds: number): Promise<number>;
}

interface Waiter {
  resolve(count: number): void;
  key: string;
  windowSeconds: number;
  at: number;
}

/** Increments of one Redis key (one counter, one window) waiting for the next flush. */
interface PendingBucket {
  key: string;
  windowSeconds: number;
  window: number;
  waiters: Waiter[];
}

const bucketName = (prefix: string, b: PendingBucket) => `${prefix}:c:${b.key}:${b.window}`;

// A Redis that died mid-flush may never answer it: every later increment waits behind the flush, so
// past this the waiters are counted in process instead (what a failed flush does).
const FLUSH_DEADLINE_MS = 500;
// Increments gather this long before a flush (see schedule()).
const COALESCE_MS = 5;

function localWindows() {
  const local = new Map<string, { window: number; count: number }>();
  let sweepAt = 0;
  return (key: string, windowSeconds: number, now: number): number => {
    const window = Math.floor(now / (windowSeconds * 1000));
    if (now > sweepAt) {
      sweepAt = now + 60_000;
      for (const [k, v] of local) if (v.window < window - 1) local.delete(k);
    }
    const entry = local.get(key);
    if (!entry || entry.window !== window) {
      local.set(key, { window, count: 1 });
      return 1;
    }
    return ++entry.count;
  };
}

/**
 * Increments are group-committed: those that arrive while a flush is in flight (or within
 * COALESCE_MS of the first waiting one) wait and go together as one INCRBY per key in one pipelined round trip.
 * A click burst from one visitor thus costs one Redis command, not one per click (measured: a
 * MULTI per click was ~40 µs of the redirect process's CPU per click, most of it in the client).
 * Each caller still gets its own ordinal count: a flush adding n to a key that reaches T hands its
 * waiters T-n+1 … T, in arrival order, exactly as n separate INCRs would have.
 */
export function createCounters(redis: Redis | null, prefix: string): Counters {
  const localIncrement = localWindows();
  // Pending increments by the caller's key; the Redis key (prefix, key, window) is named at flush, once per bucket,
  // not per increment (hashing a fresh 70-character string was most of an increment's cost in the redirect profile).
  // A key whose window number changed while its bucket waited (the window turned, or another window length
  // counts in another window): `others`, by Redis key. Same window number, same Redis key: the same bucket, as INCRs would.
  let pending = new Map<string, PendingBucket>();
  let others = new Map<string, PendingBucket>();
  let flushing = false;
  let scheduled = false;

  const settleLocally = (waiters: Waiter[]) => {
    for (const w of waiters) w.resolve(localIncrement(w.key, w.windowSeconds, w.at));
  };

  async function flush(): Promise<void> {
    scheduled = false;
    if (flushing || pending.size === 0) return;
    flushing = true;
    const buckets = [...pending.values(), ...others.values()];
    pending = new Map();
    others = new Map();
    try {
      let counts: unknown[] | null = null;
      if (redis?.isReady) {
        try {
          const pipeline = redis.multi();
          for (const p of buckets) {
            const name = bucketName(prefix, p);
            pipeline.incrBy(name, p.waiters.length).expire(name, p.windowSeconds + 1);
          }
          counts = await withDeadline(pipeline.execAsPipeline(), FLUSH_DEADLINE_MS);
        } catch {
          counts = null;
        }
      }
      buckets.forEach((p, i) => {
        const total = counts ? Number(counts[2 * i]) : NaN;
        // Redis failed (or answered oddly) for this key: count it in this process's own window.
        if (!Number.isFinite(total)) return settleLocally(p.waiters);
        const first = total - p.waiters.length + 1;
        p.waiters.forEach((w, j) => w.resolve(first + j));
      });
    } finally {
      flushing = false;
      if (pending.size > 0) schedule();
    }
  }

  function schedule() {
    if (scheduled || flushing) return;
    scheduled = true;
    // A few ms later, not after this I/O phase: under load a phase holds a handful of requests, so a flush
    // per phase was a Redis round trip every few clicks (its socket write and parse, the largest Redis cost
    // per click in the redirect profile). Burst detection runs after the 302 went out: nobody waits on this.
    setTimeout(() => void flush(), COALESCE_MS);
  }

  return {
    increment(key, windowSeconds) {
      const at = Date.now();
      if (!redis?.isReady) return Promise.resolve(localIncrement(key, windowSeconds, at));
      const window = Math.floor(at / (windowSeconds * 1000));
      return new Promise<number>((resolve) => {
        let p = pending.get(key);
        if (!p) pending.set(key, (p = { key, windowSeconds, window, waiters: [] }));
        else if (p.window !== window) {
          const other: PendingBucket = { key, windowSeconds, window, waiters: [] };
          const name = bucketName(prefix, other);
          p = others.get(name);
          if (!p) others.set(name, (p = other));
        }
        p.waiters.push({ resolve, key, windowSeconds, at });
        schedule();
      });
    },
  };
}
