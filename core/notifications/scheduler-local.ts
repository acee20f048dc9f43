// In-process delivery scheduling (no Redis, or Redis unreachable): a timer per delivery, read from
// the rows' next_attempt_at. The rows are the state; a restart rebuilds the timers (recovery sweep).
import type { Logger } from 'pino';
import type { AttemptOutcome } from './deliver.ts';
import type { Due } from './delivery-store.ts';
import { FairShare, type SendKey } from './fair-share.ts';
import type { DeliveryScheduler } from './scheduler.ts';

// setTimeout overflows past ~24.8 days; a longer wait is re-armed when this one fires.
const MAX_TIMER_MS = 2 ** 31 - 1;
// When an attempt throws (database down), wait this long before trying that delivery again.
const ERROR_RETRY_MS = 2000;

export class LocalScheduler implements DeliveryScheduler {
  readonly kind = 'local';
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Due deliveries not yet started, oldest first, with whose share they need. */
  private readonly ready = new Map<string, SendKey>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly attempt: (deliveryId: string) => Promise<AttemptOutcome>;
  private readonly concurrency: number;
  private readonly log: Logger;
  private readonly share: FairShare;

  /** `share` caps each handle's and each webhook's sends within `concurrency` (none by default). */
  constructor(attempt: (deliveryId: string) => Promise<AttemptOutcome>, concurrency: number, log: Logger, share?: FairShare) {
    this.attempt = attempt;
    this.concurrency = concurrency;
    this.log = log;
    this.share = share ?? new FairShare({ perHandle: concurrency, perEndpoint: concurrency });
  }

  start(): void {
    this.stopped = false;
  }

  async enqueue(items: Due[]): Promise<void> {
    for (const item of items) this.arm(item.deliveryId, item.dueAt, { handle: item.handle, webhookId: item.webhookId });
  }

  /** Sets (or brings forward) the one timer of a delivery; one in flight or ready is left alone. */
  private arm(id: string, at: number, key: SendKey): void {
    if (this.stopped || this.running.has(id) || this.ready.has(id)) return;
    const existing = this.timers.get(id);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (at - Date.now() > 50) return this.arm(id, at, key); // a wait longer than MAX_TIMER_MS
      this.ready.set(id, key);
      this.pump();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    timer.unref();
    this.timers.set(id, { at, timer });
  }

  /**
   * Starts ready deliveries, oldest first, while fewer than `concurrency` are in flight; one whose
   * handle or webhook has used its share stays ready and the next one gets the slot.
   */
  private pump(): void {
    const full = new Set<string>(); // keys found full in this pass: their other deliveries are skipped fast
    for (const [id, key] of this.ready) {
      if (this.stopped || this.running.size >= this.concurrency) return;
      if (full.has(`handle:${key.handle}`) || full.has(`webhook:${key.webhookId}`)) continue;
      const place = this.share.enter(key);
      if ('full' in place) {
        full.add(place.full);
        continue;
      }
      this.ready.delete(id);
      const run = this.run(id).then((next) => {
        place.release();
        this.running.delete(id);
        if (next !== null) this.arm(id, next, key);
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
    return this.timers.size + this.ready.size + this.running.size;
  }

  /** Starts nothing more (the server is stopping): the rows keep what is due, for another process or the next start. */
  pause(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.clear();
  }

  async stop(): Promise<void> {
    this.pause();
    await Promise.allSettled([...this.running.values()]);
  }
}
