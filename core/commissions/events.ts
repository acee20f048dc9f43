import { COMMISSION_COLUMNS } from './columns.ts';

/**
 * Outbox events (`commission.created` / `commission.updated`, data: the commission object) for the
 * commission rows of `source` (a CTE of raw commissions rows), as a CTE body of the statement that
 * wrote them: an event exists exactly when the change committed. `when` is a SQL boolean (e.g. a
 * parameter saying whether any subscription of the handle wants the type: outbox.wants()).
 */
export const commissionEventInsert = (source: string, type: 'commission.created' | 'commission.updated', when = 'true') => `
  insert into outbox_events (event_id, handle, type, payload)
  select gen_random_uuid(), x.handle, '${type}', to_jsonb(x) - 'handle'
    from (select c.handle, ${COMMISSION_COLUMNS} from ${source} c) x
   where ${when}`;
