import type { Logger } from 'pino';
import type { ConversionsDb } from './db.ts';
import { FOLD_ROLLUP_DELTAS, statement } from './record-sql.ts';

const BATCH = 5000;
const AFTER_CONVERSION_MS = 50;
const SWEEP_MS = 1000;

/**
 * Folds conversion rollup deltas into conversion_rollups. The conversion service awaits a fold
 * before it answers 201 (concurrent callers share one fold statement), so a read after the answer
 * counts the conversion; a slow sweep folds what a failed fold or a crashed process left behind.
 */
export class RollupFolder {
  private timer: NodeJS.Timeout | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;

  constructor(private readonly deps: { conversionsDb: ConversionsDb; log: Logger; embedded: boolean }) {}

  start(): void {
    this.sweep = setInterval(() => this.schedule(0), SWEEP_MS);
    this.sweep.unref();
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    if (this.timer) clearTimeout(this.timer);
    this.sweep = this.timer = null;
    await this.running;
    await this.foldAll().catch((err) => this.deps.log.warn({ err }, 'could not fold conversion rollups on shutdown'));
  }

  /** Call after a conversion committed: many calls within the delay become one fold. */
  schedule(delayMs = AFTER_CONVERSION_MS): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.foldAll().catch((err) => this.deps.log.warn({ err }, 'folding conversion rollups failed; retrying on the next sweep'));
    }, delayMs);
    this.timer.unref();
  }

  /** Folds every pending delta (one fold at a time in this process); resolves to how many it folded. */
  async foldAll(): Promise<number> {
    if (this.running) {
      // A fold is in flight: it may have missed deltas committed after it started, so run once more.
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      try {
        do {
          this.again = false;
          for (;;) {
            const { rows } = await this.deps.conversionsDb.query<{ folded: number }>(statement(!this.deps.embedded, 'conversions.fold', FOLD_ROLLUP_DELTAS, [BATCH]));
            total += rows[0].folded;
            if (rows[0].folded < BATCH) break;
          }
        } while (this.again);
      } finally {
        this.running = null;
      }
      return total;
    })();
    return this.running;
  }
}
