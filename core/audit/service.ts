import { v7 as uuidv7 } from 'uuid';
import type { Pool, PoolClient } from 'pg';
import { decodeCursor, toPage } from '../http/pagination.ts';

export interface AuditInput {
  handle: string;
  type: string;
  actor: string;
  campaignId?: string | null;
  subjectId?: string | null;
  payload?: Record<string, unknown>;
}

export interface AuditFilters {
  type?: string;
  campaignId?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

type Queryable = Pool | PoolClient;

/** The audit trail: every state change a commission dispute may need to reconstruct. */
export class AuditService {
  constructor(private readonly deps: { pg: Pool }) {}

  /** Records an event; pass the transaction's client so the event commits with the change. */
  async record(event: AuditInput, db: Queryable = this.deps.pg): Promise<string> {
    const id = uuidv7();
    await db.query(
      `insert into audit_events (event_id, handle, type, actor, campaign_id, subject_id, payload)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [id, event.handle, event.type, event.actor, event.campaignId ?? null, event.subjectId ?? null, JSON.stringify(event.payload ?? {})],
    );
    return id;
  }

  async list(handle: string, f: AuditFilters) {
    const where = ['handle = $1'];
    const args: unknown[] = [handle];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (f.type) add('type = ?', f.type);
    if (f.campaignId) add('campaign_id = ?', f.campaignId);
    if (f.from) add('created_at >= ?', f.from);
    if (f.to) add('created_at < ?', f.to);
    const after = decodeCursor(f.cursor, ['timestamp', 'uuid']);
    if (after) {
      args.push(after[0], after[1]);
      where.push(`(created_at, event_id) < ($${args.length - 1}::timestamptz, $${args.length}::uuid)`);
    }
    args.push(f.limit + 1);
    const { rows } = await this.deps.pg.query(
      `select event_id as "eventId", type, actor, campaign_id as "campaignId", subject_id as "subjectId", payload,
              created_at as "createdAt", to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
         from audit_events where ${where.join(' and ')}
        order by created_at desc, event_id desc limit $${args.length}`,
      args,
    );
    const page = toPage(rows, f.limit, (r) => [r.k, r.eventId]);
    return { data: page.data.map(({ k: _k, ...r }) => r), nextCursor: page.nextCursor };
  }
}
