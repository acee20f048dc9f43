import type { Logger } from 'pino';
import { DailyJob } from './daily-job.ts';
import type { Redis } from './redis.ts';

/**
 * Runs `deleteBatch(limit)` until it deletes fewer than `batchSize` rows (or `stop()` says so):
 * each batch is its own short statement, so a purge never holds a table for long, and other work
 * interleaves between batches. Resolves to the total deleted.
 */
async function purgeInBatches(deleteBatch: (limit: number) => Promise<number>, batchSize: number, stop: () => boolean = () => false): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(batchSize);
    total += deleted;
    if (deleted < batchSize || stop()) return total;
    await new Promise((ok) => setImmediate(ok));
  }
}

export interface RetentionPurgeOptions {
  queue: string;
  schedulerId: string;
  /** What is purged, for the logs ("expired idempotency keys"). */
  what: string;
  retentionDays: number;
  batchSize: number;
  /** Deletes at most `limit` rows older than `retentionDays`; resolves to how many it deleted. */
  deleteBatch(retentionDays: number, limit: number): Promise<number>;
  redis: Redis | null;
  workerRedis: Redis | null;
  redisPrefix: string;
  log: Logger;
}

/** Rows kept for a number of days, then deleted by a daily job in short batches. */
export class RetentionPurge {
  private readonly job: DailyJob;
  private stopping = false;

  private readonly opts: RetentionPurgeOptions;
  constructor(opts: RetentionPurgeOptions) {
    this.opts = opts;
    this.job = new DailyJob({
      queue: opts.queue, schedulerId: opts.schedulerId, run: () => this.purgeExpired(),
      redis: opts.redis, workerRedis: opts.workerRedis, redisPrefix: opts.redisPrefix, log: opts.log,
    });
  }

  get retentionDays(): number {
    return this.opts.retentionDays;
  }

  /** Deletes everything older than the retention, batch by batch; returns how many rows it deleted. */
  async purgeExpired(opts: { batchSize?: number } = {}): Promise<number> {
    const { deleteBatch, retentionDays, log, what } = this.opts;
    const total = await purgeInBatches((limit) => deleteBatch(retentionDays, limit), opts.batchSize ?? this.opts.batchSize, () => this.stopping);
    if (total > 0) log.info({ deleted: total, retentionDays }, `purged ${what}`);
    return total;
  }

  start(): Promise<void> {
    this.stopping = false;
    return this.job.start();
  }

  get mode(): DailyJob['mode'] {
    return this.job.mode;
  }

  /** The BullMQ queue (when Redis is configured): lets tests and operators inspect the schedule. */
  get jobQueue() {
    return this.job.jobQueue;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.job.stop();
  }
}
