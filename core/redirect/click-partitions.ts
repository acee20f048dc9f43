// The month partitions of the clicks table (migration 0020): created ahead, emptied out of the
// default partition, and dropped whole once older than CLICK_RETENTION_DAYS.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { CLICK_MONTHS_AHEAD } from '../db/migrations/0020-partitioned-clicks.ts';
import { withTransaction } from '../db/transaction.ts';
import { DailyJob } from '../infra/daily-job.ts';
import type { Redis } from '../infra/redis.ts';

const DAY_MS = 86_400_000;
/**
 * Dropping a partition takes an exclusive lock on the whole clicks table; waiting for it behind a
 * long query (an export) would queue every click flush and conversion behind the drop. Past this,
 * the drop gives up and the next day's run tries again.
 */
const DROP_LOCK_TIMEOUT = '3s';

export interface ClickPartition {
  name: string;
  /** The month's first instant (UTC), inclusive. */
  from: Date;
  /** The next month's first instant (UTC), exclusive. */
  to: Date;
}

/** clicks_pYYYYMM → its month; null for any other name (the default partition, or one made by hand). */
function monthOf(name: string): ClickPartition | null {
  const m = /^clicks_p(\d{4})(\d{2})$/.exec(name);
  if (!m) return null;
  const [year, month] = [Number(m[1]), Number(m[2]) - 1];
  return { name, from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) };
}

/**
 * Daily (one run across processes with Redis, as every DailyJob): creates the current month's
 * partition and CLICK_MONTHS_AHEAD more, so no click waits on DDL; moves clicks that landed in
 * clicks_default (a month with no partition: the server was off for months, or a click from a clock
 * far off) into their own month; then drops the months entirely older than the retention. The
 * rollups are not touched, so analytics totals stay as they were.
 */
export class ClickPartitions {
  private readonly job: DailyJob;
  private readonly deps: { pg: Pool; log: Logger; retentionDays: number };

  constructor(deps: { pg: Pool; redis: Redis | null; workerRedis: Redis | null; config: Config; log: Logger }) {
    this.deps = { pg: deps.pg, log: deps.log, retentionDays: deps.config.clickRetentionDays };
    this.job = new DailyJob({
      queue: 'click-partitions', schedulerId: 'maintain-click-partitions', run: () => this.maintain(),
      redis: deps.redis, workerRedis: deps.workerRedis, redisPrefix: deps.config.redisPrefix, log: deps.log,
    });
  }

  /** The monthly partitions, oldest first. */
  async list(): Promise<ClickPartition[]> {
    const { rows } = await this.deps.pg.query<{ name: string }>(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'clicks'::regclass`,
    );
    return rows.map((r) => monthOf(r.name)).filter((p) => p !== null).sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  /** Creates the partitions due (ahead, and the months of clicks in the default one); resolves to how many. */
  async ensure(): Promise<number> {
    const { rows } = await this.deps.pg.query('select click_partitions_maintain($1::int) as created', [CLICK_MONTHS_AHEAD]);
    const created = Number(rows[0].created);
    if (created > 0) this.deps.log.info({ created }, 'created click partitions');
    return created;
  }

  /**
   * Drops every month whose end is at least CLICK_RETENTION_DAYS before `now` (none when the
   * retention is 0), one transaction each; resolves to the names dropped.
   */
  async dropExpired(now = new Date()): Promise<string[]> {
    const { retentionDays, pg, log } = this.deps;
    if (retentionDays <= 0) return [];
    const cutoff = now.getTime() - retentionDays * DAY_MS;
    const dropped: string[] = [];
    for (const p of await this.list()) {
      if (p.to.getTime() > cutoff) break;
      await withTransaction(pg, async (client) => {
        await client.query(`set local lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
        await client.query(`drop table ${p.name}`);
        await client.query(
          `insert into click_retention (kept_from) values ($1) on conflict (singleton)
             do update set kept_from = greatest(click_retention.kept_from, excluded.kept_from)`,
          [p.to],
        );
      });
      dropped.push(p.name);
      log.info({ partition: p.name, retentionDays }, 'dropped a month of clicks older than the retention');
    }
    return dropped;
  }

  /** The daily run: partitions ahead first, then the drops. Resolves to partitions created plus dropped. */
  async maintain(): Promise<number> {
    const created = await this.ensure();
    const dropped = await this.dropExpired();
    return created + dropped.length;
  }

  start(): Promise<void> {
    return this.job.start();
  }

  get mode(): DailyJob['mode'] {
    return this.job.mode;
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}
