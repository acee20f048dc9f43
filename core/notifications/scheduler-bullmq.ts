// Delivery scheduling on Redis: a BullMQ 6 queue and worker through the kernel's node-redis client.
// The deliveries rows stay the truth; a job only says "attempt this delivery now". BullMQ itself is
// loaded by start(), so a process without Redis never loads it (see core/infra/bullmq.ts).
import type * as BullMQ from 'bullmq';
import type { Job, Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { bullmqConnection, loadBullmq } from '../infra/bullmq.ts';
import type { Redis } from '../infra/redis.ts';
import { guardAgainstSpin, type SpinGuard } from '../infra/worker-spin-guard.ts';
import { attemptsAllowed, retryDelayMs, retryTailAttempts } from './backoff.ts';
import type { AttemptOutcome } from './deliver.ts';
import type { Due } from './delivery-store.ts';
import type { FairShare } from './fair-share.ts';
import type { DeliveryScheduler } from './scheduler.ts';

export const QUEUE_NAME = 'webhook-deliveries';
const BACKOFF_TYPE = 'webhook';
/** How long a send may hold a worker slot waiting for its key's next free one before it is deferred. */
const IN_PLACE_WAIT_MS = 2000;

/** handle and webhookId pick the delivery's fair share; jobs queued before they existed have none. */
interface JobData { deliveryId: string; handle?: string; webhookId?: string }

/** A failed attempt with retries left: BullMQ's backoff uses the delay the delivery row was given. */
class RetryLater extends Error {
  readonly delayMs: number;
  constructor(delayMs: number) {
    super(`delivery failed; next attempt in ${delayMs} ms`);
    this.delayMs = delayMs;
  }
}

/** The job id is the delivery id, so enqueueing twice (recovery sweep, restarts) is a no-op. */
export const jobIdOf = (d: Pick<Due, 'deliveryId' | 'cycle'>) => (d.cycle === 0 ? d.deliveryId : `${d.deliveryId}-r${d.cycle}`);

export class BullmqScheduler implements DeliveryScheduler {
  readonly kind = 'bullmq';
  private queue?: Queue<JobData>;
  private worker?: Worker<JobData>;
  private guard?: SpinGuard;
  /** The bullmq package, once start() has loaded it. */
  private mq?: typeof BullMQ;

  private readonly deps: { redis: Redis; workerRedis: Redis; config: Config; log: Logger };
  private readonly attempt: (deliveryId: string) => Promise<AttemptOutcome>;
  /** Each handle's and webhook's share of this worker's concurrency. */
  private readonly share: FairShare;

  constructor(
    deps: { redis: Redis; workerRedis: Redis; config: Config; log: Logger },
    attempt: (deliveryId: string) => Promise<AttemptOutcome>,
    share: FairShare,
  ) {
    this.deps = deps;
    this.attempt = attempt;
    this.share = share;
  }

  /** Keys live under `{REDIS_PREFIX}:bull:webhook-deliveries:*`, beside the bus channels. */
  get prefix(): string {
    return `${this.deps.config.redisPrefix}:bull`;
  }

  async start(): Promise<void> {
    const { redis, config, log } = this.deps;
    const { Queue, Worker } = (this.mq ??= await loadBullmq());
    // The kernel's clients as BullMQ sees them, shared with the daily jobs (BullMQ leaves them open on close); the
    // worker duplicates its own for its blocking connection.
    const connection = await bullmqConnection(redis);
    const workerConnection = await bullmqConnection(this.deps.workerRedis);
    // A worker killed mid-send holds its job's lock: this bounds how long until another takes it over.
    const lockDuration = Math.max(5000, config.webhookTimeoutMs + 5000);
    this.queue = new Queue<JobData>(QUEUE_NAME, { connection, prefix: this.prefix });
    // The worker's own connection waits out a Redis outage instead of spinning (see workerConnection).
    this.worker = new Worker<JobData>(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: workerConnection,
      prefix: this.prefix,
      concurrency: config.webhookConcurrency,
      lockDuration,
      stalledInterval: lockDuration,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
          err instanceof RetryLater ? err.delayMs : retryDelayMs(config.webhookRetryBaseMs, attemptsMade),
      },
    });
    let warned = false;
    this.worker.on('error', (err) => {
      if (!warned) log.warn({ err: err.message }, 'webhook queue worker error (redis unreachable?)');
      warned = true;
    });
    this.worker.on('ready', () => (warned = false));
    this.guard = guardAgainstSpin(this.worker, {
      onPause: (pauseMs, err) => log.warn({ err: err.message, pauseMs }, 'webhook queue worker failing in a loop; paused'),
    });
    this.queue.on('error', () => {}); // the worker (and the kernel's client) already report it
  }

  async enqueue(items: Due[]): Promise<void> {
    if (items.length === 0) return;
    if (!this.queue) throw new Error('the webhook queue is not started');
    const now = Date.now();
    await this.queue.addBulk(items.map((d) => ({
      name: 'deliver',
      data: { deliveryId: d.deliveryId, handle: d.handle, webhookId: d.webhookId },
      opts: {
        jobId: jobIdOf(d),
        delay: Math.max(0, d.dueAt - now),
        // The delivery row decides when it has failed (UnrecoverableError); this only has to be enough.
        attempts: attemptsAllowed(retryTailAttempts(this.deps.config.webhookRetryTail)),
        backoff: { type: BACKOFF_TYPE },
        // Finished jobs are dropped at once: the delivery row is the record, and a redelivery can reuse the id.
        removeOnComplete: true,
        removeOnFail: true,
      },
    })));
  }

  private async process(job: Job<JobData>, token?: string): Promise<void> {
    const { deliveryId, handle, webhookId } = job.data;
    this.share.resumed(job.id!);
    // A job queued before shares existed carries no key: it counts only against the worker's concurrency.
    const key = handle !== undefined && webhookId !== undefined ? { handle, webhookId } : null;
    let place = key ? this.share.enter(key) : { release: () => {} };
    // A few sends per key wait in place for the next free slot (no queue round trip); the rest are deferred.
    while (key && 'full' in place && (await this.share.waitInPlace(place.full, IN_PLACE_WAIT_MS))) place = this.share.enter(key);
    if ('full' in place) {
      // Its handle or webhook has used its share of this worker's slots: give the slot to another
      // tenant's job and ask again later, without spending an attempt.
      await job.moveToDelayed(Date.now() + this.share.deferMs(job.id!, place.full), token);
      throw new this.mq!.DelayedError();
    }
    let outcome: AttemptOutcome;
    try {
      outcome = await this.attempt(deliveryId);
    } finally {
      place.release();
    }
    switch (outcome.kind) {
      case 'succeeded':
      case 'done':
        return;
      case 'retry':
        throw new RetryLater(outcome.delayMs);
      case 'failed':
        throw new this.mq!.UnrecoverableError('delivery failed after its last attempt');
      case 'later':
        // Not due (or another sender holds it): wait without spending one of the job's attempts.
        await job.moveToDelayed(Math.max(outcome.atMs, Date.now() + 10), token);
        throw new this.mq!.DelayedError();
      case 'stopping':
        // Due at once for another process's worker (this one is paused), without spending one of the job's attempts.
        await job.moveToDelayed(Date.now(), token);
        throw new this.mq!.DelayedError();
    }
  }

  /** Takes no more jobs (the server is stopping); those in flight finish, and other processes' workers take the rest. */
  pause(): void {
    this.worker?.pause(true).catch(() => {});
  }

  async stop(): Promise<void> {
    this.guard?.stop();
    // Waits for the jobs in flight; the shared node-redis client stays open for the kernel.
    // Redis down: no job can be in flight, and a graceful close() would wait for Redis forever.
    await this.worker?.close(!this.deps.redis.isReady || !this.deps.workerRedis.isReady);
    await this.queue?.close();
    this.worker = this.queue = undefined;
  }
}
