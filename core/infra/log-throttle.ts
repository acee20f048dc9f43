import type { Logger } from 'pino';

/**
 * Warnings that can happen once per request (a plugin failing on every click): the first of each key is
 * logged at once, later ones at most once per interval, carrying how many were left out since
 * (`suppressed`). A broken plugin under load writes one line a minute, not one per click.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(log: Logger, intervalMs = 60_000, now: () => number = Date.now) {
    this.log = log;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** Logs `msg` with `fields` unless this key was logged within the interval; then it is only counted. */
  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const at = this.now();
    const seen = this.last.get(key);
    if (seen && at - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    this.log.warn(seen?.suppressed ? { ...fields, suppressed: seen.suppressed } : fields, msg);
    this.last.set(key, { at, suppressed: 0 });
  }
}
