// The notifications panel: deliveries with every attempt, per-webhook success counts, redelivery.
import { v7 as uuidv7 } from 'uuid';
import type { Pool } from 'pg';
import { auditInsertSql, type AuditService } from '../audit/index.ts';
import { conflict, notFound } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import type { DeliveryEngine } from './engine.ts';
import type { DeliveryStatus } from './schemas.ts';
import { Params } from '../db/params.ts';
import { isoTimeSql } from '../db/json-time.ts';
import { listWindow } from '../http/time-window.ts';

const NOTIFICATIONS_CURSOR = listCursor('notifications', ['timestamp', 'uuid']);

export interface PanelFilters {
  webhookId?: string;
  status?: DeliveryStatus;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}


const DELIVERY_COLUMNS = `
  d.delivery_id as "deliveryId", d.webhook_id as "webhookId", d.event_id as "eventId", d.event_type as "eventType",
  -- A partner's postback delivery names its partner (null: a webhook's), so the panel can tell them apart.
  (select w.partner_id from webhooks w where w.webhook_id = d.webhook_id) as "partnerId",
  d.status, d.cycle as redeliveries, ${isoTimeSql('d.next_attempt_at')} as "nextAttemptAt", ${isoTimeSql('d.created_at')} as "createdAt",
  ${isoTimeSql('d.updated_at')} as "updatedAt", ${isoTimeSql('d.completed_at')} as "completedAt",
  coalesce((select json_agg(json_build_object(
             'attempt', a.attempt, 'at', ${isoTimeSql('a.attempted_at')}, 'statusCode', a.status_code, 'latencyMs', a.latency_ms,
             'error', a.error, 'responseSnippet', a.response_snippet) order by a.attempt)
              from delivery_attempts a where a.delivery_id = d.delivery_id), '[]') as attempts`;

interface Counts { partnerId: string | null; succeeded: number; failed: number; retrying: number; pending: number; successRate: number | null }

export class NotificationsPanel {
  private readonly deps: { pg: Pool; audit: AuditService; webhookEngine: DeliveryEngine };
  constructor(deps: { pg: Pool; audit: AuditService; webhookEngine: DeliveryEngine }) {
    this.deps = deps;
  }

  async list(handle: string, f: PanelFilters) {
    const window = listWindow(f.from, f.to);
    const p = new Params([handle]); // $1
    const where: string[] = [];
    if (f.webhookId) where.push(`d.webhook_id = ${p.add(f.webhookId)}`);
    if (window.from) where.push(`d.created_at >= ${p.add(window.from)}`);
    if (window.to) where.push(`d.created_at < ${p.add(window.to)}`);
    // The summary counts over the same webhook and time filters, before status and paging.
    const summaryWhere = [...where];
    const summaryArgs = [...p.values];
    if (f.status) where.push(`d.status = ${p.add(f.status)}`);
    const after = NOTIFICATIONS_CURSOR.after(f.cursor, handle);
    if (after) where.push(`(d.created_at, d.delivery_id) < (${p.add(after[0])}::timestamptz, ${p.add(after[1])}::uuid)`);
    const limit = p.add(f.limit + 1);
    const [{ rows }, summary] = await Promise.all([
      this.deps.pg.query(
        `select ${DELIVERY_COLUMNS}, to_char(d.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
           from deliveries d where d.handle = $1 ${where.map((w) => `and ${w}`).join(' ')}
          order by d.created_at desc, d.delivery_id desc limit ${limit}`,
        p.values,
      ),
      this.summary(summaryWhere, summaryArgs),
    ]);
    const page = NOTIFICATIONS_CURSOR.page(rows, f.limit, (r) => [r.k, r.deliveryId], handle);
    return { data: page.data.map(({ k: _k, ...r }) => r), nextCursor: page.nextCursor, summary };
  }

  async get(handle: string, deliveryId: string) {
    const { rows } = await this.deps.pg.query(`select ${DELIVERY_COLUMNS} from deliveries d where d.handle = $1 and d.delivery_id = $2`, [handle, deliveryId]);
    if (!rows[0]) throw notFound('Delivery');
    return rows[0];
  }

  /**
   * Sends a failed delivery again: a new cycle of up to 6 attempts, with the same body and the same
   * webhook-id (the receiver never acknowledged it, so it has nothing to dedupe against).
   */
  async redeliver(handle: string, deliveryId: string, actor: string) {
    const { rows } = await this.deps.pg.query(
      `with d as (
         update deliveries set status = 'pending', cycle = cycle + 1, attempts_in_cycle = 0, next_attempt_at = now(),
                completed_at = null, updated_at = now()
          where handle = $1 and delivery_id = $2 and status = 'failed'
          returning delivery_id, webhook_id, event_type, cycle, next_attempt_at
       ), audit as (${auditInsertSql({
         eventId: '$3::uuid', handle: '$1', type: "'delivery.redelivered'", actor: '$4::text', subjectId: 'delivery_id::text',
         payload: "jsonb_build_object('webhookId', webhook_id, 'eventType', event_type, 'cycle', cycle)",
         from: 'd',
       })}
       )
       select * from d`,
      [handle, deliveryId, uuidv7(), actor],
    );
    if (!rows[0]) {
      const current = await this.get(handle, deliveryId); // 404 when it does not exist
      throw conflict(`Only a failed delivery can be redelivered; this one is ${current.status}.`);
    }
    this.deps.webhookEngine.schedule([{ deliveryId, cycle: rows[0].cycle, dueAt: rows[0].next_attempt_at.getTime(), handle, webhookId: rows[0].webhook_id }]);
    return this.get(handle, deliveryId);
  }

  /**
   * Counts by status per webhook of the handle (every webhook appears, with zeros if need be), each naming the partner
   * whose postback it is (null: the handle's own webhook): the panel names a postback's partner with no delivery on show.
   */
  private async summary(where: string[], args: unknown[]): Promise<Record<string, Counts>> {
    const webhookFilter = where.find((w) => w.startsWith('d.webhook_id'))?.replace('d.webhook_id', 'w.webhook_id');
    const { rows } = await this.deps.pg.query<{ webhook_id: string; partner_id: string | null; status: string | null; n: number }>(
      `select w.webhook_id, w.partner_id, s.status, coalesce(s.n, 0)::int as n
         from webhooks w
         left join (select d.webhook_id, d.status, count(*) as n from deliveries d
                     where d.handle = $1 ${where.map((w) => `and ${w}`).join(' ')} group by 1, 2) s on s.webhook_id = w.webhook_id
        where w.handle = $1 ${webhookFilter ? `and ${webhookFilter}` : ''}`,
      args,
    );
    const out: Record<string, Counts> = {};
    for (const r of rows) {
      const c = (out[r.webhook_id] ??= { partnerId: r.partner_id, succeeded: 0, failed: 0, retrying: 0, pending: 0, successRate: null });
      if (r.status) c[r.status as DeliveryStatus] = r.n;
    }
    for (const c of Object.values(out)) {
      const finished = c.succeeded + c.failed;
      c.successRate = finished ? Math.round((c.succeeded / finished) * 10000) / 10000 : null;
    }
    return out;
  }
}
