// In-process delivery scheduling (no Redis, or Redis unreachable): a timer per delivery, read from
// the rows' next_attempt_at. The rows are the state; a restart rebuilds the timers (recovery sweep).
import type { Logger } from 'pino';
import type { AttemptOutcome } from './deliver.ts';
import type { Due } from './delivery-store.ts';
import type { DeliveryScheduler } from './scheduler.ts';

// setTimeout overflows past ~24.8 days; a longer wait is re-armed when this one fires.
const MAX_TIMER_MS = 2 ** 31 - 1;
// When an attempt throws (database down), wait this long before trying that delivery again.
const ERROR_RETRY_MS = 2000;

export class LocalScheduler implements DeliveryScheduler {
  readonly kind = 'local';
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly ready: string[] = [];
  private readonly readySet = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  private readonly attempt: (deliveryId: string) => Promise<AttemptOutcome>;
  private readonly concurrency: number;
  private readonly log: Logger;
  constructor(
    attempt: (deliveryId: string) => Promise<AttemptOutcome>,
    concurrency: number,
    log: Logger,
  ) {
    this.attempt = attempt;
    this.concurrency = concurrency;
    this.log = log;
  }

  start(): void {
    this.stopped = false;
  }

  async enqueue(items: Due[]): Promise<void> {
    for (const item of items) this.arm(item.deliveryId, item.dueAt);
  }

  /** Sets (or brings forward) the one timer of a delivery; one in flight or ready is left alone. */
  private arm(id: string, at: number): void {
    if (this.stopped || this.running.has(id) || this.readySet.has(id)) return;
    const existing = this.timers.get(id);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (at - Date.now() > 50) return this.arm(id, at); // a wait longer than MAX_TIMER_MS
      this.ready.push(id);
      this.readySet.add(id);
      this.pump();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    timer.unref();
    this.timers.set(id, { at, timer });
  }

  /** Starts ready deliveries while fewer than `concurrency` are in flight. */
  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.ready.length) {
      const id = this.ready.shift()!;
      this.readySet.delete(id);
      const run = this.run(id).then((next) => {
        this.running.delete(id);
        if (next !== null) this.arm(id, next);
        this.pump();
      });
      this.running.set(id, run);
    }
  }

  /** One attempt; returns when to attempt again (epoch ms), or null when the delivery is finished. */
  private async run(id: string): Promise<number | null> {
    try {
      const outcome = await this.attempt(id);
      if (outcome.kind === 'retry') return Date.now() + outcome.delayMs;
      if (outcome.kind === 'later') return Math.max(outcome.atMs, Date.now() + 10); // never a hot loop
      return null;
    } catch (err) {
      this.log.warn({ deliveryId: id, err: (err as Error).message }, 'webhook attempt failed to run; will retry');
      return Date.now() + ERROR_RETRY_MS;
    }
  }

  /** Deliveries this process is waiting on or sending (for tests and metrics). */
  get size(): number {
    return this.timers.size + this.ready.length + this.running.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    this.readySet.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}
