import type { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { bullmqConnection, loadBullmq } from './bullmq.ts';
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
  /** How often each process checks that the schedule is still in Redis (default 30 s). */
  keepEveryMs?: number;
}

// A Redis that restarted without persistence (or a FLUSHALL) loses every job scheduler: the job never ran again
// until a tenx process restarted (a black-box pass found automatic approval stopped for good). Each process looks.
const KEEP_EVERY_MS = 30_000;

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
  private keeper: NodeJS.Timeout | null = null;
  private keeping = false;
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
      const { Queue, Worker } = await loadBullmq();
      const connection = await bullmqConnection(redis);
      const workerConnection = await bullmqConnection(workerRedis);
      const prefix = `${redisPrefix}:bull`;
      this.queue = new Queue(name, { connection, prefix });
      // BullMQ reports every failed reconnect: with Redis away that was a line a second per queue and worker.
      const warnings = new LogThrottle(log);
      this.queue.on('error', (err) => warnings.warn(`${name}:queue`, { err: err.message, queue: name }, 'daily job queue error'));
      // Not awaited: with Redis unreachable at boot it would block the start until Redis returns.
      // The first run comes a minute after start, as without Redis: never in the boot path, and a
      // process restarting now and then still purges (each start schedules the next run anew).
      const schedule = () => this.queue!.upsertJobScheduler(schedulerId, { every, startDate: Date.now() + firstRun }, {
        name: 'run',
        opts: { removeOnComplete: 10, removeOnFail: 10 },
      });
      void schedule().catch((err) => log.warn({ err: err.message, queue: name }, 'daily job not scheduled yet'));
      this.keeper = setInterval(() => void this.keepScheduled(schedule), this.opts.keepEveryMs ?? KEEP_EVERY_MS);
      this.keeper.unref();
      this.worker = new Worker(name, async () => ({ count: await this.opts.run() }), { connection: workerConnection, prefix, concurrency: 1 });
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

  /**
   * Schedules the job again when its scheduler is gone from Redis, or its next run is (the scheduler names that job:
   * `repeat:<id>:<next>`, kept in some state from delayed to completed); a check at a time; never throws.
   */
  private async keepScheduled(schedule: () => Promise<unknown>): Promise<void> {
    if (this.keeping || !this.queue || !this.opts.redis?.isReady) return;
    this.keeping = true;
    try {
      const scheduler = await this.queue.getJobScheduler(this.opts.schedulerId);
      if (scheduler?.next !== undefined && (await this.queue.getJob(`repeat:${this.opts.schedulerId}:${scheduler.next}`))) return;
      await schedule();
      this.opts.log.warn({ queue: this.opts.queue }, 'daily job schedule was missing from Redis (restarted or flushed?); scheduled again');
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message, queue: this.opts.queue }, 'daily job schedule not checked');
    } finally {
      this.keeping = false;
    }
  }

  /** The BullMQ queue (when Redis is configured): lets tests and operators inspect the schedule. */
  get jobQueue(): Queue | null {
    return this.queue;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.keeper) clearInterval(this.keeper);
    this.keeper = null;
    this.guard?.stop();
    // Redis down: no job can be in flight, and a graceful close() would wait for Redis forever.
    await this.worker?.close(!this.opts.redis?.isReady || !this.opts.workerRedis?.isReady);
    await this.queue?.close();
    this.worker = this.queue = null;
    this.guard = null;
    this.mode = 'stopped';
  }
}
