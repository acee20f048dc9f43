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

/** Token buckets shared by every process through one Redis script call per request; local when Redis is absent or down. */
// node-redis 6 gives every command a 5 s timeout through AbortSignal.timeout(), whose timer fires and
// builds a DOMException (a stack trace) 5 s after each command, answered or not: the largest single
// cost of a public conversion in the profile. This client sends without it; one plain timer bounds the call.
const REDIS_DEADLINE_MS = 5_000;

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis: no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // settles after the deadline: nobody is listening any more
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

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
  // Per key: the takes waiting for the call in flight (present while one is).
  const waiting = new Map<string, ((d: RateDecision) => void)[]>();

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

  /** Decides `takers` (in arrival order) with one call, then the takes that queued meanwhile. */
  async function run(key: string, takers: ((d: RateDecision) => void)[]): Promise<void> {
    let decided: RateDecision[] | null = null;
    if (redis?.isReady) {
      try {
        const [passed, wait] = (await withDeadline(remote(key, takers.length), REDIS_DEADLINE_MS)).map(Number);
        if (Number.isFinite(passed) && Number.isFinite(wait)) {
          decided = takers.map((_, i) => (i < passed ? ALLOWED : { allowed: false, retryAfterMs: Math.max(1, wait) }));
        }
      } catch {
        // Redis failed mid-call: this process limits on its own until it is back.
      }
    }
    takers.forEach((resolve, i) => resolve(decided ? decided[i] : local(key)));
    const next = waiting.get(key)!;
    if (next.length === 0) waiting.delete(key);
    else {
      waiting.set(key, []);
      void run(key, next);
    }
  }

  return {
    take(key) {
      if (!redis?.isReady && !waiting.has(key)) return Promise.resolve(local(key));
      return new Promise<RateDecision>((resolve) => {
        const queued = waiting.get(key);
        if (queued) return void queued.push(resolve);
        waiting.set(key, []);
        void run(key, [resolve]);
      });
    },
  };
}
