import { uuidv7 } from '../infra/uuid7.ts';
import type { Pool, PoolClient } from 'pg';
import { listCursor } from '../http/pagination.ts';
import { parseExactJson } from '../db/numeric.ts';
import { Params } from '../db/params.ts';
import { listWindow } from '../http/time-window.ts';

const AUDIT_EVENTS_CURSOR = listCursor('audit-events', ['timestamp', 'uuid']);

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

/** An actor that is a token's id (a uuid's text), as the lateral joins below test it before the cast. */
const UUID_TEXT = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** The audit trail: every state change a commission dispute may need to reconstruct. */
export class AuditService {
  private readonly deps: { pg: Pool };
  constructor(deps: { pg: Pool }) {
    this.deps = deps;
  }

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
    const window = listWindow(f.from, f.to);
    const p = new Params();
    const where = [`handle = ${p.add(handle)}`];
    if (f.type) where.push(`type = ${p.add(f.type)}`);
    if (f.campaignId) where.push(`campaign_id = ${p.add(f.campaignId)}`);
    if (window.from) where.push(`created_at >= ${p.add(window.from)}`);
    if (window.to) where.push(`created_at < ${p.add(window.to)}`);
    const after = AUDIT_EVENTS_CURSOR.after(f.cursor, handle);
    if (after) where.push(`(created_at, event_id) < (${p.add(after[0])}::timestamptz, ${p.add(after[1])}::uuid)`);
    const { rows } = await this.deps.pg.query(
      // The payload as text: a payout's amount past a double's digits is answered exact (db/numeric.ts).
      `select event_id as "eventId", type, actor, coalesce(t.token_name, pt.partner_token) as "actorName", campaign_id as "campaignId",
              subject_id as "subjectId", payload::text as payload,
              created_at as "createdAt", to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
         from audit_events
         -- Who a token actor is, as people name it: the dashboard showed "…f4479760" (a pass). The case keeps the cast
         -- off actors that are no uuid (admin, public).
         left join lateral (select a.name as token_name from access_tokens a where a.handle = audit_events.handle
                              and a.token_id = (case when actor ~ '${UUID_TEXT}' then actor::uuid end)) t on true
         left join lateral (select 'partner ' || p.partner_id || ': ' || p.name as partner_token from partner_tokens p where p.handle = audit_events.handle
                              and p.token_id = (case when actor ~ '${UUID_TEXT}' then actor::uuid end)) pt on true
        where ${where.join(' and ')}
        order by created_at desc, event_id desc limit ${p.add(f.limit + 1)}`,
      p.values,
    );
    const page = AUDIT_EVENTS_CURSOR.page(rows, f.limit, (r) => [r.k, r.eventId], handle);
    return { data: page.data.map(({ k: _k, ...r }) => ({ ...r, payload: parseExactJson(r.payload) })), nextCursor: page.nextCursor };
  }
}
