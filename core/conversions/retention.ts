import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { RetentionPurge } from '../infra/retention-purge.ts';
import type { Redis } from '../infra/redis.ts';
import type { ConversionsDb } from './db.ts';

/**
 * Idempotency key retention (IDEMPOTENCY_RETENTION_DAYS, default 365). A daily purge deletes expired
 * keys in batches of 5,000 rows, each its own short transaction, so the table is never locked for
 * long and concurrent conversions never wait on it. Conversions themselves are never deleted.
 */
export class IdempotencyRetention extends RetentionPurge {
  constructor(deps: { conversionsDb: ConversionsDb; redis: Redis | null; workerRedis: Redis | null; config: Config; log: Logger }) {
    super({
      queue: 'idempotency-retention', schedulerId: 'purge-expired-idempotency-keys', what: 'expired idempotency keys',
      retentionDays: deps.config.idempotencyRetentionDays, batchSize: 5000, redis: deps.redis, workerRedis: deps.workerRedis, redisPrefix: deps.config.redisPrefix, log: deps.log,
      deleteBatch: async (days, limit) => {
        const { rowCount } = await deps.conversionsDb.query(
          `delete from idempotency_keys where ctid in (
             select ctid from idempotency_keys where created_at < now() - make_interval(days => $1::int) limit $2::int)`,
          [days, limit],
        );
        return rowCount ?? 0;
      },
    });
  }
}
