import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { RetentionPurge } from '../infra/retention-purge.ts';
import type { Redis } from '../infra/redis.ts';

/**
 * Delivery retention (DELIVERY_RETENTION_DAYS, default 90): a daily purge deletes deliveries that
 * finished (succeeded or failed) longer ago than that, with their attempts (cascade), in batches.
 * Pending and retrying deliveries are never purged, however old: they are still owed a send.
 */
export class DeliveryRetention extends RetentionPurge {
  constructor(deps: { pg: Pool; redis: Redis | null; workerRedis: Redis | null; config: Config; log: Logger }) {
    super({
      queue: 'delivery-retention', schedulerId: 'purge-finished-deliveries', what: 'finished webhook deliveries',
      retentionDays: deps.config.deliveryRetentionDays, batchSize: 2000, redis: deps.redis, workerRedis: deps.workerRedis, redisPrefix: deps.config.redisPrefix, log: deps.log,
      deleteBatch: async (days, limit) => {
        const { rowCount } = await deps.pg.query(
          `delete from deliveries where delivery_id in (
             select delivery_id from deliveries
              where status in ('succeeded', 'failed') and completed_at < now() - make_interval(days => $1::int)
              limit $2::int)`,
          [days, limit],
        );
        return rowCount ?? 0;
      },
    });
  }
}
