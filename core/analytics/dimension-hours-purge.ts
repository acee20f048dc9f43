import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Redis } from '../infra/redis.ts';
import { RetentionPurge } from '../infra/retention-purge.ts';
import { DIMENSION_HOURS } from './rollup-sql.ts';

/**
 * The hourly per-dimension rollups are kept for the recent window edges only (DIMENSION_HOURS): a
 * daily job deletes older hours (a day after readers stop using them, core/analytics/range.ts)
 * in batches of 5,000 rows, each its own short transaction. The daily and hourly per-campaign rollups stay.
 */
export class DimensionHoursPurge extends RetentionPurge {
  constructor(deps: { pg: Pool; redis: Redis | null; workerRedis: Redis | null; config: Config; log: Logger }) {
    super({
      queue: 'dimension-hours-retention', schedulerId: 'purge-old-dimension-hours', what: 'hourly dimension rollups past their window',
      retentionDays: Math.ceil(DIMENSION_HOURS / 24) + 1, batchSize: 5000, redis: deps.redis, workerRedis: deps.workerRedis,
      redisPrefix: deps.config.redisPrefix, log: deps.log,
      deleteBatch: async (_days, limit) => {
        let deleted = 0;
        for (const table of ['analytics_dimension_hours', 'analytics_dimension_conversion_hours']) {
          const { rowCount } = await deps.pg.query(
            `delete from ${table} where ctid in (select ctid from ${table} where hour < now() - make_interval(hours => $1::int) limit $2::int)`,
            [DIMENSION_HOURS + 24, limit],
          );
          deleted += rowCount ?? 0;
        }
        return deleted;
      },
    });
  }
}
