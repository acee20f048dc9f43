// The webhook retry schedule: 1 attempt + 5 retries, waiting base × 1, 2, 4, 8, 16 between them;
// then, for webhooks that opted in and when the server offers one (WEBHOOK_RETRY_TAIL), one attempt
// an hour until the tail ends, as Stripe and Svix do, so an hour-long outage needs no redelivery.

/** Attempts per delivery cycle without a tail (the first send and five retries). */
export const MAX_ATTEMPTS = 6;
/** The base the seed's schedule is written for: the tail's hour scales with WEBHOOK_RETRY_BASE_MS / this. */
const SEED_BASE_MS = 5000;
const HOUR_MS = 3_600_000;

/** How long to wait after the `failedAttempts`-th failed attempt (1-based) within the seed's five retries. */
export function retryDelayMs(baseMs: number, failedAttempts: number): number {
  return baseMs * 2 ** Math.max(0, failedAttempts - 1);
}

/** WEBHOOK_RETRY_TAIL (`24h`, `3d`; empty or `off`: none) as a count of hourly attempts. */
export function retryTailAttempts(tail: string): number {
  if (tail === '' || tail === 'off') return 0;
  const m = /^([1-9][0-9]*)([hd])$/.exec(tail);
  if (!m) throw new Error(`WEBHOOK_RETRY_TAIL must be like 24h or 3d, got "${tail}"`);
  return Number(m[1]) * (m[2] === 'd' ? 24 : 1);
}

/** The tail's "hour": an hour at the seed's base, scaled with the base so tests can run it fast. */
export function tailIntervalMs(baseMs: number): number {
  return Math.round((HOUR_MS * baseMs) / SEED_BASE_MS);
}

/** Attempts a delivery cycle may make with `tailAttempts` hourly ones after the seed's schedule. */
export function attemptsAllowed(tailAttempts: number): number {
  return MAX_ATTEMPTS + tailAttempts;
}

/** The wait after the `failedAttempts`-th failed attempt (1-based), or null when the delivery has failed for good. */
export function nextRetryDelayMs(baseMs: number, failedAttempts: number, tailAttempts: number): number | null {
  if (failedAttempts >= attemptsAllowed(tailAttempts)) return null;
  return failedAttempts < MAX_ATTEMPTS ? retryDelayMs(baseMs, failedAttempts) : tailIntervalMs(baseMs);
}
