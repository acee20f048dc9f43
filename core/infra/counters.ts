import type { Redis } from './redis.ts';

/**
 * Fixed-window counters shared by all processes through Redis; while Redis is absent or down, an
 * in-process window keeps burst detection and rate limiting working on this process alone.
 */
export interface Counters {
  increment(key: string, windowSeconds: number): Promise<number>;
}

export function createCounters(redis: Redis | null, prefix: string): Counters {
  const local = new Map<string, { window: number; count: number }>();
  let sweepAt = 0;
  const localIncrement = (key: string, windowSeconds: number, now: number) => {
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
  return {
    async increment(key, windowSeconds) {
      const now = Date.now();
      if (redis?.isReady) {
        const bucket = `${prefix}:c:${key}:${Math.floor(now / (windowSeconds * 1000))}`;
        try {
          const [count] = await redis.multi().incr(bucket).expire(bucket, windowSeconds + 1).exec();
          return Number(count);
        } catch {
          // fall through to the local window
        }
      }
      return localIncrement(key, windowSeconds, now);
    },
  };
}
