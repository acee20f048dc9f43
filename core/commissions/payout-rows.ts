import { auditInsertSql } from '../audit/index.ts';
import { jsonbWithTimes } from '../db/json-time.ts';
import { outboxInsertSql } from '../outbox/index.ts';

// A payout row as the API answers it, its outbox event and its audit event: SQL the payouts module writes with
// (run, mark-paid, cancel) and the ledger too, when a reversal takes a line out of a pending payout (reversal.ts).
// Here, not in payouts/, because payouts/ builds on the ledger and the ledger cannot import it back.

export const PAYOUT_COLUMNS = `p.payout_id as "payoutId", p.partner_id as "partnerId", p.amount, p.currency,
  p.commission_count as "commissionCount", p.status, p.period_end as "periodEnd", p.reference,
  p.created_at as "createdAt", p.paid_at as "paidAt"`;

export type PayoutEventType = 'payout.created' | 'payout.paid' | 'payout.canceled' | 'payout.amended';

/**
 * The outbox event (data: the payout object) of each payout row of `source`; `when` a SQL boolean. `previous`: an
 * SQL jsonb expression over `source`'s columns added as the event's `previous` (payout.amended: what it was).
 */
export const payoutEventInsert = (source: string, type: PayoutEventType, when = 'true', previous?: string) => `
  ${outboxInsertSql({
    handle: 'x.handle', type: `'${type}'`,
    payload: `${jsonbWithTimes('x', ['periodEnd', 'createdAt', 'paidAt'])} - 'handle' - 'previous'${previous ? ` || jsonb_build_object('previous', x.previous)` : ''}`,
    from: `(select p.handle, ${PAYOUT_COLUMNS}${previous ? `, ${previous} as previous` : ''} from ${source} p) x`, where: when,
  })}`;

/**
 * The audit event of each payout row of `source`. `createdAt`: the row's updated_at for a change made after its lines
 * were locked (mark-paid, cancel). `extra`: more jsonb_build_object arguments (a reversal's before and after).
 */
export const payoutAuditInsert = (source: string, type: string, actor: string, createdAt?: string, extra = '') => `
  ${auditInsertSql({
    handle: 'handle', type: `'${type}'`, actor, createdAt, subjectId: 'payout_id::text',
    payload: `jsonb_build_object('payoutId', payout_id, 'partnerId', partner_id, 'amount', amount, 'currency', currency,
                            'commissionCount', commission_count, 'reference', reference${extra})`,
    from: source,
  })}`;

/**
 * Cancels pending payout $2 of handle $1 (the caller holds its row and its lines, locked in id order): its lines leave it
 * for the unpaid ledger, which lines it held is kept (payout_releases: its statement lists them), audited and announced
 * (`when`, a SQL boolean). `auditExtra`: more audit payload arguments (a reversal's `via`).
 */
export const cancelPayoutSql = (actor: string, when = 'true', auditExtra = '') => `
with p as (
  update payouts set status = 'canceled', updated_at = statement_timestamp() where handle = $1 and payout_id = $2 and status = 'pending' returning *
), released as (
  update commissions c set payout_id = null, updated_at = statement_timestamp() from p where c.payout_id = p.payout_id
  returning c.handle, p.payout_id, c.commission_id
), kept as (
  insert into payout_releases (handle, payout_id, commission_id) select handle, payout_id, commission_id from released
), audit as (${payoutAuditInsert('p', 'payout.canceled', actor, 'updated_at', auditExtra)}
), events as (${payoutEventInsert('p', 'payout.canceled', when)})
select ${PAYOUT_COLUMNS} from p`;

/**
 * The audit event (`payout.amended`, actor and `lines`: more payload arguments naming the lines, over alias `s`) and the
 * outbox event (with `previous`) of each payout of `source` a refund changed; `source` returns payouts rows plus
 * left_amount and left_count, what left it (negative when a line joined it). Two CTEs, named amended_audit and amended_events.
 */
export const payoutAmendedCtes = (source: string, actor: string, lines: string) => `amended_audit as (${payoutAuditInsert(`${source} s`, 'payout.amended', actor, 'updated_at',
  `, 'previousAmount', amount + left_amount, 'previousCommissionCount', commission_count + left_count, 'via', 'reversal', ${lines}`)}
), amended_events as (${payoutEventInsert(source, 'payout.amended', 'true',
  `jsonb_build_object('amount', p.amount + p.left_amount, 'commissionCount', p.commission_count + p.left_count)`)})`;
