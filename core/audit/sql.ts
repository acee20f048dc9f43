// The audit table's insert as a SQL fragment, for statements that write their audit rows in the same
// statement as the change (the conversion hot path, ledger moves, payouts): the audit module owns
// audit_events' columns, callers give an SQL expression for each.

/** One audit_events row per row of `from`: each field is an SQL expression over it. */
export interface AuditRowSql {
  /** Default gen_random_uuid(). */
  eventId?: string;
  handle: string;
  type: string;
  actor: string;
  /** Default null. */
  campaignId?: string;
  subjectId: string;
  /** A jsonb expression. */
  payload: string;
  /** What the rows are selected from (a CTE's name, a join); omitted: one row. */
  from?: string;
}

/** `insert into audit_events ... select ...`: a statement, or the body of a data-modifying CTE. */
export function auditInsertSql(row: AuditRowSql): string {
  return `insert into audit_events (event_id, handle, type, actor, campaign_id, subject_id, payload)
  select ${row.eventId ?? 'gen_random_uuid()'}, ${row.handle}, ${row.type}, ${row.actor}, ${row.campaignId ?? 'null'}, ${row.subjectId},
         ${row.payload}${row.from ? `\n    from ${row.from}` : ''}`;
}
