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
  /**
   * Default: the table's, now() (the transaction's start: a created row and its audit row share it). A change that may
   * wait for a rival's row lock gives clock_timestamp(), so its event never reads as earlier than the one it waited for.
   */
  createdAt?: string;
  /** What the rows are selected from (a CTE's name, a join); omitted: one row. */
  from?: string;
}

/** `insert into audit_events ... select ...`: a statement, or the body of a data-modifying CTE. */
export function auditInsertSql(row: AuditRowSql): string {
  const at = row.createdAt ? ['created_at, ', `${row.createdAt}, `] : ['', ''];
  return `insert into audit_events (${at[0]}event_id, handle, type, actor, campaign_id, subject_id, payload)
  select ${at[1]}${row.eventId ?? 'gen_random_uuid()'}, ${row.handle}, ${row.type}, ${row.actor}, ${row.campaignId ?? 'null'}, ${row.subjectId},
         ${row.payload}${row.from ? `\n    from ${row.from}` : ''}`;
}
