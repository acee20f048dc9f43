// The retry schedule of API.md: 1 attempt + 5 retries, waiting base × 1, 2, 4, 8, 16 between them.

/** Attempts per delivery cycle (the first send and five retries). */
export const MAX_ATTEMPTS = 6;

/** How long to wait after the `failedAttempts`-th failed attempt (1-based) before the next one. */
export function retryDelayMs(baseMs: number, failedAttempts: number): number {
  return baseMs * 2 ** Math.max(0, failedAttempts - 1);
}
