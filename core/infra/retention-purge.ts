import type { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { loadBullmq } from './bullmq.ts';
import { LogThrottle } from './log-throttle.ts';
import type { Redis } from './redis.ts';
import { guardAgainstSpin, type SpinGuard } from './worker-spin-guard.ts';

const DAY_MS = 86_400_000;
// The first run comes a while after start (not in the boot path), then daily.
const FIRST_LOCAL_RUN_MS = 60_000;

export interface DailyJobOptions {
  /** BullMQ queue name (under REDIS_PREFIX). */
  queue: string;
  /** The job scheduler's id: every process upserts the same one, so the job runs once a day in all. */
  schedulerId: string;
  /** What the job does; resolves to a count for the job's result and the logs. */
  run(): Promise<number>;
  redis: Redis | null;
  /** The workers' connection (offline queue on; see workerConnection). */
  workerRedis: Redis | null;
  redisPrefix: string;
  log: Logger;
  /** Interval between runs (default a day); e.g. a minute for the commission auto-approval. */
  everyMs?: number;
  /** Delay of the first run after start (default a minute: never in the boot path). */
  firstRunMs?: number;
}

/**
 * A housekeeping job that runs once a day (or every `everyMs`): a BullMQ repeatable job when Redis is configured (one run
 * a day across every process), an in-process timer without it (embedded mode; the jobs using this
 * are idempotent purges, so one run per process is harmless).
 */
export class DailyJob {
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private guard: SpinGuard | null = null;
  private timer: NodeJS.Timeout | null = null;
  mode: 'bullmq' | 'timer' | 'stopped' = 'stopped';

  private readonly opts: DailyJobOptions;
  constructor(opts: DailyJobOptions) {
    this.opts = opts;
  }

  /** Resolves once the job is scheduled (with Redis, after BullMQ is loaded: it never is without). */
  async start(): Promise<void> {
    const { redis, workerRedis, redisPrefix, log, queue: name, schedulerId } = this.opts;
    const every = this.opts.everyMs ?? DAY_MS;
    const firstRun = this.opts.firstRunMs ?? FIRST_LOCAL_RUN_MS;
    if (redis && workerRedis) {
      const { Queue, Worker, createNodeRedisClient } = await loadBullmq();
      const connection = createNodeRedisClient(redis);
      const prefix = `${redisPrefix}:bull`;
      this.queue = new Queue(name, { connection, prefix });
      // BullMQ reports every failed reconnect: with Redis away that was a line a second per queue and worker.
      const warnings = new LogThrottle(log);
      this.queue.on('error', (err) => warnings.warn(`${name}:queue`, { err: err.message, queue: name }, 'daily job queue error'));
      // Not awaited: with Redis unreachable at boot it would block the start until Redis returns.
      // The first run comes a minute after start, as without Redis: never in the boot path, and a
      // process restarting now and then still purges (each start schedules the next run anew).
      void this.queue.upsertJobScheduler(schedulerId, { every, startDate: Date.now() + firstRun }, {
        name: 'run',
        opts: { removeOnComplete: 10, removeOnFail: 10 },
      }).catch((err) => log.warn({ err: err.message, queue: name }, 'daily job not scheduled yet'));
      this.worker = new Worker(name, async () => ({ count: await this.opts.run() }), { connection: createNodeRedisClient(workerRedis), prefix, concurrency: 1 });
      this.worker.on('error', (err) => warnings.warn(`${name}:worker`, { err: err.message, queue: name }, 'daily job worker error'));
      this.worker.on('failed', (_job, err) => log.warn({ err, queue: name }, 'daily job failed; it runs again at its next interval'));
      this.guard = guardAgainstSpin(this.worker, {
        onPause: (pauseMs, err) => log.warn({ err: err.message, queue: name, pauseMs }, 'daily job worker failing in a loop; paused'),
      });
      this.mode = 'bullmq';
      return;
    }
    const run = () => void this.opts.run().catch((err) => log.warn({ err, queue: name }, 'daily job failed'));
    this.timer = setTimeout(() => {
      run();
      this.timer = setInterval(run, every);
      this.timer.unref();
    }, firstRun);
    this.timer.unref();
    this.mode = 'timer';
  }

  /** The BullMQ queue (when Redis is configured): lets tests and operators inspect the schedule. */
  get jobQueue(): Queue | null {
    return this.queue;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.guard?.stop();
    // Redis down: no job can be in flight, and a graceful close() would wait for Redis forever.
    await this.worker?.close(!this.opts.redis?.isReady || !this.opts.workerRedis?.isReady);
    await this.queue?.close();
    this.worker = this.queue = null;
    this.guard = null;
    this.mode = 'stopped';
  }
}

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
