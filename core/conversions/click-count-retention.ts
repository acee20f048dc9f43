import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { RetentionPurge } from '../infra/retention-purge.ts';
import type { Redis } from '../infra/redis.ts';
import type { ConversionsDb } from './db.ts';

const DAY_MS = 86_400_000;

/**
 * Past this, no conversion can name a click any more: a ctx expires after its campaign's attribution
 * window (at most 365 days, core/campaigns/schemas.ts), counted from the click; one day of slack.
 */
export const ATTRIBUTION_HORIZON_DAYS = 366;

/** The smallest UUID of the millisecond `ms`: every UUIDv7 drawn before it sorts below it. */
function uuidAt(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/**
 * The per-click conversion counts (MAX_CONVERSIONS_PER_CLICK) of clicks past the attribution horizon:
 * no ctx of theirs verifies any more, so their counts can never be read again. Kept until then even
 * when the click itself is gone (CLICK_RETENTION_DAYS shorter than a window): the cap still holds.
 * The click's time is its UUIDv7 id's (click_id_time), so the purge walks the primary key's range
 * below the horizon; ids of any other version carry no time and are kept.
 */
export class ClickCountRetention extends RetentionPurge {
  constructor(deps: { conversionsDb: ConversionsDb; redis: Redis | null; workerRedis: Redis | null; config: Config; log: Logger }) {
    super({
      queue: 'click-count-retention', schedulerId: 'purge-click-conversion-counts', what: 'conversion counts of clicks past the attribution horizon',
      retentionDays: ATTRIBUTION_HORIZON_DAYS, batchSize: 5000, redis: deps.redis, workerRedis: deps.workerRedis, redisPrefix: deps.config.redisPrefix, log: deps.log,
      deleteBatch: async (days, limit) => {
        const { rowCount } = await deps.conversionsDb.query(
          `delete from click_conversion_counts where ctid in (
             select ctid from click_conversion_counts
              where click_id < $1::uuid and click_id_time(click_id) < now() - make_interval(days => $2::int) limit $3::int)`,
          [uuidAt(Date.now() - days * DAY_MS), days, limit],
        );
        return rowCount ?? 0;
      },
    });
  }
}
