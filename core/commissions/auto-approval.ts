import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { DailyJob } from '../infra/daily-job.ts';
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
 * statement. Never those with auto_approve false (a ctx-only conversion of a `flag` handle, or one whose click
 * was never stored) nor a click row whose day is still open. `skip locked` lets two processes (or a PATCH holding a row) share the work; the
 * update re-checks `pending`, so a row moved meanwhile is left as it is: running twice is harmless.
 *
 * An adjustment (a partial reversal's negative row) follows its commission (followers.ts): it is approved in
 * the same statement as its commission, so a payout run never pays a commission gross while its adjustment
 * waits, or later, once its commission is approved or paid. Approved on its own hold, it was approved while a
 * rejection held its commission (skipped, locked), and the rejection, which moves only the adjustments that
 * stood where the commission stood, left it approved: the partner charged for a sale it never earned. A
 * commission one of whose due adjustments another transaction holds (a reversal or a bulk move locks a
 * conversion's rows in commission id order, so it may hold the adjustment and not yet the commission) waits for
 * the next run, with its adjustments. Adjustments are found by conversion through their own small index
 * (migration 0033), never by reading the whole due backlog.
 */
const DUE_ADJUSTMENT = `a.type = 'adjustment' and a.status = 'pending' and a.auto_approve and a.hold_until <= now()`;
const APPROVE_DUE = `
with due_commissions as (
  select c.commission_id, c.conversion_id from commissions c
   where c.status = 'pending' and c.auto_approve and c.hold_until <= now() and not ${OPEN_DAY} and c.type <> 'adjustment'
   order by c.hold_until limit $1 for update skip locked
), their_adjustments as (
  select a.commission_id, a.conversion_id from commissions a
   where ${DUE_ADJUSTMENT} and a.conversion_id in (select conversion_id from due_commissions)
     for update skip locked
), held as (
  -- Due adjustments of these commissions that another transaction holds (not locked above): as of this snapshot.
  select a.conversion_id from commissions a
   where ${DUE_ADJUSTMENT} and a.conversion_id in (select conversion_id from due_commissions)
     and not exists (select 1 from their_adjustments t where t.commission_id = a.commission_id)
), followers as (
  -- Due adjustments whose commission was approved or paid before (by hand, or in an earlier run).
  select a.commission_id from commissions a
   where ${DUE_ADJUSTMENT}
     and exists (select 1 from commissions m
                  where m.handle = a.handle and m.conversion_id = a.conversion_id and m.type = 'conversion' and m.status in ('approved', 'paid'))
   order by a.hold_until limit $1 for update skip locked
), due as (
  select commission_id from due_commissions d where not exists (select 1 from held h where h.conversion_id = d.conversion_id)
  union all
  select commission_id from their_adjustments t where not exists (select 1 from held h where h.conversion_id = t.conversion_id)
  union all
  select commission_id from followers
), moved as (
  -- An adjustment or clawback keeps the reason it exists for (refund, chargeback…): "hold_elapsed" on a deduction
  -- told the partner nothing. The audit event says why it moved.
  update commissions c set status = 'approved', reason = case when c.type in ('adjustment', 'clawback') then c.reason else 'hold_elapsed' end, updated_at = now()
    from due where c.commission_id = due.commission_id and c.status = 'pending'
  returning c.*, 'pending'::text as from_status
), audit as (${statusAuditInsert('moved', `'system'`, `'auto_approval'`, `'hold_elapsed'`)}
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
