// The delivery engine: outbox dispatcher → deliveries rows → scheduler (BullMQ or in-process) →
// one attempt at a time per delivery, with a recovery sweep so nothing committed is ever lost.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Redis } from '../infra/redis.ts';
import type { OutboxService } from '../outbox/index.ts';
import type { PluginHost } from '../plugins/index.ts';
import { DeliveryAttempts } from './deliver.ts';
import type { JsonPoster } from './http-delivery.ts';
import type { Due } from './delivery-store.ts';
import { OutboxDispatcher } from './dispatcher.ts';
import { FairShare } from './fair-share.ts';
import { recoverAll, startSweeper } from './recovery.ts';
import type { DeliveryScheduler } from './scheduler.ts';
import { BullmqScheduler } from './scheduler-bullmq.ts';
import { LocalScheduler } from './scheduler-local.ts';
import type { SecretBox } from './secret-box.ts';
import { createSigner, type Signer } from './signing-pool.ts';

export interface EngineDeps {
  pg: Pool;
  embedded: boolean;
  log: Logger;
  config: Config;
  redis: Redis | null;
  workerRedis: Redis | null;
  outbox: OutboxService;
  pluginHost: PluginHost;
  secretBox: SecretBox;
  jsonPoster: JsonPoster;
}

export class DeliveryEngine {
  readonly attempts: DeliveryAttempts;
  readonly scheduler: DeliveryScheduler;
  /** In-process scheduling when Redis is configured but an enqueue failed (Redis unreachable). */
  readonly fallback: LocalScheduler;
  private readonly signer: Signer;
  private readonly dispatcher: OutboxDispatcher;
  private stopSweeper?: () => Promise<void>;

  private readonly deps: EngineDeps;
  constructor(deps: EngineDeps) {
    this.deps = deps;
    // Named picks, never a spread: deps is the container's cradle (a proxy resolving on access).
    const { config, log, redis, workerRedis, pg, embedded, pluginHost, secretBox, outbox, jsonPoster } = deps;
    this.signer = createSigner(config);
    this.attempts = new DeliveryAttempts({ pg, embedded, log, config, pluginHost, secretBox, signer: this.signer, jsonPoster });
    const attempt = (id: string) => this.attempts.attempt(id);
    // One share accounting for both schedulers: a fallback send counts against the same handle.
    const share = new FairShare({ perHandle: config.webhookConcurrencyPerHandle, perEndpoint: config.webhookConcurrencyPerEndpoint });
    this.fallback = new LocalScheduler(attempt, config.webhookConcurrency, log, share);
    this.scheduler = redis && workerRedis ? new BullmqScheduler({ redis, workerRedis, config, log }, attempt, share) : this.fallback;
    this.dispatcher = new OutboxDispatcher({ pg, log, outbox }, (due) => this.schedule(due));
    // Once the stopping server cuts its sends, nothing more is started here: each would only be cut in turn.
    jsonPoster.stopping.addEventListener('abort', () => {
      this.scheduler.pause();
      this.fallback.pause();
    }, { once: true });
  }

  /** Schedules committed deliveries; never throws (the recovery sweep backs up every path). */
  schedule(due: Due[]): void {
    if (due.length === 0) return;
    this.scheduler.enqueue(due).catch((err) => {
      this.deps.log.warn({ err: (err as Error).message, count: due.length }, 'webhook queue unreachable; scheduling in process');
      void this.fallback.enqueue(due);
    });
  }

  async start(): Promise<void> {
    const { pg, log } = this.deps;
    this.fallback.start();
    await this.scheduler.start();
    const enqueue = (due: Due[]) => this.scheduler.enqueue(due).catch(() => this.fallback.enqueue(due));
    const recovered = await recoverAll(pg, enqueue);
    if (recovered) log.info({ count: recovered, scheduler: this.scheduler.kind }, 'recovered open webhook deliveries');
    // With a queue, only lost jobs need the sweep; without one, it also picks up other processes' rows.
    this.stopSweeper = this.scheduler.kind === 'bullmq'
      ? startSweeper(pg, log, enqueue, 30_000, 60_000 + this.attempts.leaseMs)
      : startSweeper(pg, log, enqueue, 2000, 1000);
    this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.stopSweeper?.();
    await this.dispatcher.stop();
    await this.scheduler.stop();
    if (this.fallback !== this.scheduler) await this.fallback.stop();
    await this.signer.close();
  }
}
