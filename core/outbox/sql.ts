// The outbox's insert as a SQL fragment, for statements that write their events in the same statement
// as the change (so an event exists exactly when the change committed): the outbox module owns
// outbox_events' columns, callers give an SQL expression for each.

/** One outbox_events row per row of `from` (where `where` holds): each field is an SQL expression over it. */
export interface OutboxRowSql {
  /** Default gen_random_uuid(). */
  eventId?: string;
  handle: string;
  /** An EventType, as an SQL expression (e.g. `'commission.created'`). */
  type: string;
  /** A jsonb expression: the event's data. */
  payload: string;
  from?: string;
  /** An SQL boolean, e.g. a parameter saying whether any subscription wants the type (OutboxService.wants). */
  where?: string;
}

/** `insert into outbox_events ... select ...`: a statement, or the body of a data-modifying CTE. */
export function outboxInsertSql(row: OutboxRowSql): string {
  return `insert into outbox_events (event_id, handle, type, payload)
  select ${row.eventId ?? 'gen_random_uuid()'}, ${row.handle}, ${row.type}, ${row.payload}${row.from ? `\n    from ${row.from}` : ''}${
    row.where ? `\n   where ${row.where}` : ''
  }`;
}
