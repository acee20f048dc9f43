import { auditInsertSql } from '../audit/index.ts';
import { outboxInsertSql } from '../outbox/index.ts';
import { COMMISSION_COLUMNS } from './columns.ts';
import { jsonbWithTimes } from '../db/json-time.ts';

/**
 * Outbox events (`commission.created` / `commission.updated`, data: the commission object as the API
 * returns it; an update also carries `previous: {status}`, the status it left) for the commission
 * rows of `source` (a CTE of raw commissions rows; for updates with a `from_status` column), as a CTE
 * body of the statement that wrote them: an event exists exactly when the change committed. `when`
 * is a SQL boolean (e.g. a parameter saying whether any subscription of the handle wants the type:
 * outbox.wants()).
 */
export const commissionEventInsert = (source: string, type: 'commission.created' | 'commission.updated', when = 'true') => `
  ${outboxInsertSql({
    handle: 'x.handle', type: `'${type}'`,
    payload: `${jsonbWithTimes('x', ['holdUntil', 'createdAt', 'updatedAt'])} - 'handle' - 'fromStatus'` +
      (type === 'commission.updated' ? ` || jsonb_build_object('previous', jsonb_build_object('status', x."fromStatus"))` : ''),
    from: `(select c.handle, ${COMMISSION_COLUMNS}${type === 'commission.updated' ? ', c.from_status as "fromStatus"' : ''} from ${source} c) x`, where: when,
  })}`;

/**
 * The `commission.created` audit event of each new ledger row of `source` (raw commissions rows; a
 * CTE), as a CTE body of the statement that wrote them, so the row and its audit commit together:
 * conversion commissions (actor: the conversion's), the first click row of a day (`'system'`),
 * adjustments and clawbacks (the reversal's actor). `actor` is an SQL expression over `source`.
 */
export const commissionCreatedAudit = (source: string, actor: string, createdAt?: string) => `
  ${auditInsertSql({
    handle: 'handle', type: "'commission.created'", actor, createdAt, campaignId: 'campaign_id', subjectId: 'commission_id::text',
    payload: `jsonb_build_object('commissionId', commission_id, 'partnerId', partner_id, 'conversionId', conversion_id, 'type', type,
                            'amount', amount, 'currency', currency, 'status', status, 'reason', reason)`,
    from: source,
  })}`;
