import type { Logger } from 'pino';

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions<T, R> {
  /** One statement (one transaction, one commit) for the whole batch: one result per item, in the items' order. */
  execute(items: T[]): Promise<R[]>;
  log: Logger;
  /** The warning logged when a batch fails and its items are retried one by one. */
  failed: string;
  maxInFlight: number;
  maxBatch: number;
}

/**
 * Application-level group commit. An item runs at once while fewer than `maxInFlight` statements are running;
 * under load, items that arrive meanwhile wait and go together in the next statement, so one commit (one WAL
 * flush) durably records many. Each caller still gets its answer only after its own row committed. A batch that
 * fails is retried item by item, so one bad item fails alone and never its neighbours.
 */
export class GroupCommit<T, R> {
  private readonly queue: Pending<T, R>[] = [];
  private inFlight = 0;
  private readonly opts: GroupCommitOptions<T, R>;

  constructor(opts: GroupCommitOptions<T, R>) {
    this.opts = opts;
  }

  submit(item: T): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    this.pump();
    return promise;
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.run(batch);
    }
  }

  /** The batch's slot is free: the next batch (if any is waiting) starts now. */
  private release(): void {
    this.inFlight--;
    this.pump();
  }

  private async run(batch: Pending<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.opts.execute(batch.map((p) => p.item));
    } catch (err) {
      try {
        await this.retryOneByOne(batch, err);
      } finally {
        this.release();
      }
      return;
    }
    const next = this.queue.length > 0;
    this.release();
    const answer = () => batch.forEach((p, i) => p.resolve(results[i]));
    // The callers are answered after the next batch has gone out, not before. Answering resumes each caller's
    // whole request (its response written) as microtasks, and the next batch's pooled connection is handed out
    // on a later tick: answered first, the database sat idle while this process wrote a batch's responses
    // (docs/performance.md). setImmediate runs once those ticks (and the next batch's write) are done.
    if (next) setImmediate(answer);
    else answer();
  }

  private async retryOneByOne(batch: Pending<T, R>[], err: unknown): Promise<void> {
    if (batch.length === 1) return batch[0].reject(err);
    this.opts.log.warn({ err, size: batch.length }, this.opts.failed);
    for (const p of batch) await this.opts.execute([p.item]).then(([r]) => p.resolve(r), p.reject);
  }
}
