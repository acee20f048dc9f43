import { withDeadline } from '../infra/deadline.ts';
import type { Redis } from '../infra/redis.ts';

/** A client may spend `burst` requests at once, then `ratePerSecond` (PUBLIC_RATE_LIMIT, bursts 10×: config/schema.ts). */
export interface TokenBucketLimits {
  ratePerSecond: number;
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

export interface RateLimiter {
  take(clientKey: string): Promise<RateDecision>;
}

// One bucket per key in a hash {t: tokens, ts: ms}. Redis time keeps every process on one clock.
// ARGV[3] takes that many at once, in order, exactly as that many calls in one instant would: the first
// floor(tokens) pass, the rest wait for the next token (a refused take spends nothing). Returns {passed, wait}.
const TAKE_SCRIPT = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = cap ts = now end
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate / 1000)
local passed = math.min(n, math.floor(tokens))
tokens = tokens - passed
local wait = 0
if passed < n then wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap * 1000 / rate) + 1000)
return {passed, wait}`;

/** The in-process bucket set: used without Redis and whenever a Redis call fails (fail open to local limits). */
export function localTokenBuckets(limits: TokenBucketLimits, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; ts: number }>();
  const fullAfterMs = (limits.burst * 1000) / limits.ratePerSecond;
  let sweepAt = 0;
  return (key: string): RateDecision => {
    const t = now();
    if (t >= sweepAt) {
      // A bucket idle long enough to be full again is the same as no bucket.
      sweepAt = t + 10_000;
      for (const [k, b] of buckets) if (t - b.ts > fullAfterMs) buckets.delete(k);
    }
    const b = buckets.get(key) ?? { tokens: limits.burst, ts: t };
    b.tokens = Math.min(limits.burst, b.tokens + (Math.max(0, t - b.ts) * limits.ratePerSecond) / 1000);
    b.ts = t;
    buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 1000) / limits.ratePerSecond) };
  };
}

/** Token buckets shared by every process through Redis (one script call per batch of a client's takes); local when Redis is absent or down. */
// node-redis 6 gives every command a 5 s timeout through AbortSignal.timeout(), whose timer fires and
// builds a DOMException (a stack trace) 5 s after each command, answered or not: the largest single
// cost of a public conversion in the profile. This client sends without it; one plain timer bounds the call.
const REDIS_DEADLINE_MS = 5_000;

/**
 * Takes of one key while a call for it is in flight wait and go together as one script call (a merchant posts
 * from one address, many at once: one Redis round trip per request was 3–5 µs of a conversion's CPU and
 * 5–10 % of its rate). Nobody waits on a timer: the first take goes at once, the rest ride the next call.
 */
export function createRateLimiter(limits: TokenBucketLimits, redisClient: Redis | null, prefix: string): RateLimiter {
  const local = localTokenBuckets(limits);
  const redis = redisClient?.withCommandOptions({ timeout: 0 }) as Redis | undefined;
  let sha: string | null = null;
  const limitArgs = [String(limits.burst), String(limits.ratePerSecond)];
  // Per key, present while a call for it is in flight: the takes waiting for it, and when the first of them arrived.
  const waiting = new Map<string, { takers: ((d: RateDecision) => void)[]; since: number }>();

  async function remote(key: string, n: number): Promise<[number, number]> {
    const options = { keys: [`${prefix}:rl:conv:${key}`], arguments: [...limitArgs, String(n)] };
    if (sha) {
      try {
        return (await redis!.evalSha(sha, options)) as [number, number];
      } catch (err) {
        if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      }
    }
    sha = String(await redis!.scriptLoad(TAKE_SCRIPT));
    return (await redis!.evalSha(sha, options)) as [number, number];
  }

  /**
   * Decides `takers` (in arrival order, the first of them arrived at `since`) with one call, then the takes that
   * queued meanwhile. No take waits on Redis longer than REDIS_DEADLINE_MS from its arrival: a batch's deadline is
   * what its oldest take has left, and when a call fails or times out the takes queued behind it are limited here at once.
   */
  async function run(key: string, takers: ((d: RateDecision) => void)[], since: number): Promise<void> {
    let decided: RateDecision[] | null = null;
    const budget = REDIS_DEADLINE_MS - (Date.now() - since);
    if (redis?.isReady && budget > 0) {
      try {
        const [passed, wait] = (await withDeadline(remote(key, takers.length), budget, `redis: no answer within ${budget} ms`)).map(Number);
        if (Number.isFinite(passed) && Number.isFinite(wait)) {
          decided = takers.map((_, i) => (i < passed ? ALLOWED : { allowed: false, retryAfterMs: Math.max(1, wait) }));
        }
      } catch {
        // Redis failed mid-call: this process limits on its own until it is back.
      }
    }
    takers.forEach((resolve, i) => resolve(decided ? decided[i] : local(key)));
    const next = waiting.get(key)!;
    if (next.takers.length === 0 || !decided) {
      waiting.delete(key);
      for (const resolve of next.takers) resolve(local(key));
    } else {
      waiting.set(key, { takers: [], since: 0 });
      void run(key, next.takers, next.since);
    }
  }

  return {
    take(key) {
      if (!redis?.isReady) return Promise.resolve(local(key));
      return new Promise<RateDecision>((resolve) => {
        const queued = waiting.get(key);
        if (queued) {
          if (queued.takers.length === 0) queued.since = Date.now();
          queued.takers.push(resolve);
          return;
        }
        waiting.set(key, { takers: [], since: 0 });
        void run(key, [resolve], Date.now());
      });
    },
  };
}
