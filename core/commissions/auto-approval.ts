import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { DailyJob } from '../infra/retention-purge.ts';
import type { Redis } from '../infra/redis.ts';
import type { OutboxService } from '../outbox/index.ts';
import { commissionEventInsert } from './events.ts';
import { COMMISSION_COLUMNS, OPEN_DAY } from './columns.ts';
import { statusAuditInsert } from './status-audit.ts';

/** How often due commissions are approved: a hold is counted in days, a minute late is nothing. */
export const AUTO_APPROVAL_EVERY_MS = 60_000;
const BATCH = 1000;

/**
 * Approves up to $1 pending commissions whose hold has passed, with their audit events, in one
 * statement. Never those of unauthenticated conversions (auto_approve false) nor a click row whose
 * day is still open. `skip locked` lets two processes (or a PATCH holding a row) share the work; the
 * update re-checks `pending`, so a row moved meanwhile is left as it is: running twice is harmless.
 * An adjustment follows its commission (followers.ts): it is approved with its commission, in the same
 * statement (a payout run never sees one without the other), or once its commission is approved or paid.
 * Approved on its own hold, it was approved while a rejection held its commission (skipped, locked), and
 * the rejection, which moves only the adjustments that stood where the commission stood, left it
 * approved: the partner charged for a commission it never earned.
 */
const APPROVE_DUE = `
with due_commissions as (
  select c.commission_id, c.conversion_id from commissions c
   where c.status = 'pending' and c.auto_approve and c.hold_until <= now() and not ${OPEN_DAY} and c.type <> 'adjustment'
   order by c.hold_until limit $1 for update skip locked
), due_adjustments as (
  select c.commission_id from commissions c
   where c.type = 'adjustment' and c.status = 'pending' and c.auto_approve and c.hold_until <= now()
     and (c.conversion_id in (select conversion_id from due_commissions)
          or exists (select 1 from commissions m
                      where m.handle = c.handle and m.conversion_id = c.conversion_id and m.type = 'conversion' and m.status in ('approved', 'paid')))
   order by c.hold_until limit $1 for update skip locked
), due as (
  select commission_id from due_commissions union all select commission_id from due_adjustments
), moved as (
  update commissions c set status = 'approved', reason = 'hold_elapsed', updated_at = now()
    from due where c.commission_id = due.commission_id and c.status = 'pending'
  returning c.*, 'pending'::text as from_status
), audit as (${statusAuditInsert('moved', `'system'`, `'auto_approval'`)}
), events as (${commissionEventInsert('moved', 'commission.updated')})
select ${COMMISSION_COLUMNS} from moved c`;

/**
 * Automatic approval once `holdUntil` has passed: a BullMQ repeatable job every minute when Redis is
 * configured (one run per minute across every process), an in-process timer without it.
 */
export class AutoApproval {
  private readonly deps: { pg: Pool; log: Logger; outbox: OutboxService };
  private readonly job: DailyJob;

  constructor(deps: { pg: Pool; redis: Redis | null; workerRedis: Redis | null; config: Config; log: Logger; outbox: OutboxService }) {
    this.deps = deps;
    this.job = new DailyJob({
      queue: 'commission-auto-approval', schedulerId: 'approve-due-commissions', run: () => this.approveDue(),
      redis: deps.redis, workerRedis: deps.workerRedis, redisPrefix: deps.config.redisPrefix, log: deps.log,
      everyMs: AUTO_APPROVAL_EVERY_MS, firstRunMs: AUTO_APPROVAL_EVERY_MS,
    });
  }

  /** Approves every due commission, batch by batch; resolves to how many it approved. */
  async approveDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.deps.pg.query(APPROVE_DUE, [BATCH]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) break;
    }
    if (total > 0) this.deps.outbox.wake();
    if (total > 0) this.deps.log.info({ approved: total }, 'approved commissions whose hold has passed');
    return total;
  }

  start(): Promise<void> {
    return this.job.start();
  }

  get mode(): DailyJob['mode'] {
    return this.job.mode;
  }

  get jobQueue() {
    return this.job.jobQueue;
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}
