import { Queue, Worker, createNodeRedisClient } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Redis } from '../infra/redis.ts';
import type { ConversionsDb } from './db.ts';

const DAY_MS = 86_400_000;
const BATCH = 5000;
const QUEUE = 'idempotency-retention';
const SCHEDULER_ID = 'purge-expired-idempotency-keys';
// Without Redis, the first purge runs a while after start (not in the boot path), then daily.
const FIRST_LOCAL_RUN_MS = 60_000;

/**
 * Idempotency key retention (IDEMPOTENCY_RETENTION_DAYS, default 365). A daily purge deletes expired
 * keys in batches of 5,000 rows, each its own short transaction, so the table is never locked for
 * long and concurrent conversions never wait on it. Conversions themselves are never deleted.
 *
 * With Redis the purge is a BullMQ repeatable job (one run a day across every process); without it,
 * an in-process timer (embedded mode; purging twice is harmless).
 */
export class IdempotencyRetention {
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  mode: 'bullmq' | 'timer' | 'stopped' = 'stopped';

  constructor(private readonly deps: { conversionsDb: ConversionsDb; redis: Redis | null; config: Config; log: Logger }) {}

  get retentionDays(): number {
    return this.deps.config.idempotencyRetentionDays;
  }

  /** Deletes keys older than the retention in batches; returns how many it deleted. */
  async purgeExpired(opts: { batchSize?: number } = {}): Promise<number> {
    const batch = opts.batchSize ?? BATCH;
    let total = 0;
    for (;;) {
      const { rowCount } = await this.deps.conversionsDb.query(
        `delete from idempotency_keys where ctid in (
           select ctid from idempotency_keys where created_at < now() - make_interval(days => $1::int) limit $2::int)`,
        [this.retentionDays, batch],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch || this.stopping) break;
      // Let conversions interleave between batches.
      await new Promise((ok) => setImmediate(ok));
    }
    if (total > 0) this.deps.log.info({ deleted: total, retentionDays: this.retentionDays }, 'purged expired idempotency keys');
    return total;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const { redis, config, log } = this.deps;
    if (redis) {
      const connection = createNodeRedisClient(redis);
      const prefix = `${config.redisPrefix}:bull`;
      this.queue = new Queue(QUEUE, { connection, prefix });
      this.queue.on('error', (err) => log.warn({ err: err.message }, 'retention queue error'));
      // Idempotent across processes: every process upserts the same scheduler.
      // Not awaited: with Redis unreachable at boot it would block the start until Redis returns.
      void this.queue.upsertJobScheduler(SCHEDULER_ID, { every: DAY_MS }, {
        name: 'purge',
        opts: { removeOnComplete: 10, removeOnFail: 10 },
      }).catch((err) => log.warn({ err: err.message }, 'retention schedule not registered yet'));
      this.worker = new Worker(QUEUE, async () => ({ deleted: await this.purgeExpired() }), { connection, prefix, concurrency: 1 });
      this.worker.on('error', (err) => log.warn({ err: err.message }, 'retention worker error'));
      this.worker.on('failed', (_job, err) => log.warn({ err }, 'idempotency key purge failed; it runs again tomorrow'));
      this.mode = 'bullmq';
      return;
    }
    const run = () => void this.purgeExpired().catch((err) => log.warn({ err }, 'idempotency key purge failed'));
    this.timer = setTimeout(() => {
      run();
      this.timer = setInterval(run, DAY_MS);
      this.timer.unref();
    }, FIRST_LOCAL_RUN_MS);
    this.timer.unref();
    this.mode = 'timer';
  }

  /** The BullMQ queue (when Redis is configured): lets tests and operators inspect the schedule. */
  get jobQueue(): Queue | null {
    return this.queue;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Redis down: no job can be in flight, and a graceful close() would wait for Redis forever.
    await this.worker?.close(!this.deps.redis?.isReady);
    await this.queue?.close();
    this.worker = this.queue = null;
    this.mode = 'stopped';
  }
}
