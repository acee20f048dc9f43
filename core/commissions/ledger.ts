import type { Pool, PoolClient } from 'pg';
import { Params } from '../db/params.ts';
import { withTransaction } from '../db/transaction.ts';
import { HttpError, notFound } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import { listWindow } from '../http/time-window.ts';
import type { OutboxService } from '../outbox/index.ts';
import { COMMISSION_COLUMNS, OPEN_DAY } from './columns.ts';
import { commissionEventInsert } from './events.ts';
import { moveFollowers } from './followers.ts';
import { manualMoveProblem, type CommissionStatus, type ManualStatus } from './lifecycle.ts';
import { catchUpReversals } from './reversal.ts';
import { statusAuditInsert } from './status-audit.ts';

const COMMISSIONS_CURSOR = listCursor('commissions', ['timestamp', 'uuid']);

export interface CommissionFilters {
  status?: CommissionStatus;
  partnerId?: string;
  campaignId?: string;
  type?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface MoveResult {
  commissionId: string;
  status: number;
  commission?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** Moves `moves` (id → previous status) to `to` with the reason, auditing each and (if wanted, $7) its event. */
const MOVE = `
with prev as (
  select * from unnest($2::uuid[], $3::text[]) as p(commission_id, from_status)
), moved as (
  update commissions c set status = $4, reason = $5, updated_at = statement_timestamp()
    from prev where c.handle = $1 and c.commission_id = prev.commission_id
  returning c.*, prev.from_status
), audit as (${statusAuditInsert('moved', '$6::text', `'manual'`)}
), events as (${commissionEventInsert('moved', 'commission.updated', '$7::boolean')})
select ${COMMISSION_COLUMNS} from moved c`;

/**
 * The commission ledger: lists with a summary, and the status moves people make. Amounts are never
 * changed here: a move changes status and reason only (the ledger is append-only).
 */
export class CommissionLedger {
  private readonly deps: { pg: Pool; outbox: OutboxService };

  constructor(deps: { pg: Pool; outbox: OutboxService }) {
    this.deps = deps;
  }

  async list(handle: string, f: CommissionFilters) {
    const window = listWindow(f.from, f.to);
    const p = new Params();
    const where = [`c.handle = ${p.add(handle)}`];
    if (f.status) where.push(`c.status = ${p.add(f.status)}`);
    if (f.partnerId) where.push(`c.partner_id = ${p.add(f.partnerId)}`);
    if (f.campaignId) where.push(`c.campaign_id = ${p.add(f.campaignId)}`);
    if (f.type) where.push(`c.type = ${p.add(f.type)}`);
    if (window.from) where.push(`c.created_at >= ${p.add(window.from)}`);
    if (window.to) where.push(`c.created_at < ${p.add(window.to)}`);
    const filter = where.join(' and ');
    const summaryParams = [...p.values];
    const after = COMMISSIONS_CURSOR.after(f.cursor, handle);
    if (after) where.push(`(c.created_at, c.commission_id) < (${p.add(after[0])}::timestamptz, ${p.add(after[1])}::uuid)`);
    const [page, summary] = await Promise.all([
      this.deps.pg.query(
        `select ${COMMISSION_COLUMNS}, to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
           from commissions c where ${where.join(' and ')}
          order by c.created_at desc, c.commission_id desc limit ${p.add(f.limit + 1)}`,
        p.values,
      ),
      this.deps.pg.query(
        `select c.currency, c.status, count(*)::int as count, sum(c.amount) as amount
           from commissions c where ${filter} group by 1, 2 order by 1, 2`,
        summaryParams,
      ),
    ]);
    const rows = COMMISSIONS_CURSOR.page(page.rows, f.limit, (r) => [r.k, r.commissionId], handle);
    return { data: rows.data.map(({ k: _k, ...r }) => r), nextCursor: rows.nextCursor, summary: summary.rows };
  }

  async get(handle: string, commissionId: string) {
    const { rows } = await this.deps.pg.query(`select ${COMMISSION_COLUMNS} from commissions c where c.handle = $1 and c.commission_id = $2`, [handle, commissionId]);
    if (!rows[0]) throw notFound('Commission');
    return rows[0];
  }

  /** PATCH: one commission; a move the lifecycle refuses → 409 invalid_transition. */
  async move(handle: string, commissionId: string, to: ManualStatus, reason: string, actor: string) {
    const [result] = await this.moveMany(handle, [commissionId], to, reason, actor);
    if (result.status === 404) throw notFound('Commission');
    if (result.status === 409) throw new HttpError(409, 'invalid_transition', result.error!.message);
    return result.commission!;
  }

  /** Bulk: every id in one transaction (rows locked in id order, so two bulks never deadlock), one result per id. */
  async moveMany(handle: string, ids: string[], to: ManualStatus, reason: string, actor: string): Promise<MoveResult[]> {
    const results = await withTransaction(this.deps.pg, async (client) => {
      // Locks in a reversal's order: the conversions first (so no reversal adds an adjustment or changes what
      // was reversed while this move runs; read from the locked rows, whatever committed while it waited),
      // then the commissions with their adjustments (which move with them), each in id order: no deadlock.
      const { rows: conversions } = await client.query<{ id: string; reversedWhole: boolean }>(
        `select v.conversion_id as id, v.reversals > 0 and (v.value is null or v.reversed_value >= v.value) as "reversedWhole"
           from conversions v
          where v.handle = $1 and v.conversion_id in (
                  select conversion_id from commissions where handle = $1 and commission_id = any($2::uuid[]) and conversion_id is not null)
          order by v.conversion_id for update`,
        [handle, ids],
      );
      const reversedWhole = new Set(conversions.filter((v) => v.reversedWhole).map((v) => v.id));
      const { rows } = await client.query(
        `select ${COMMISSION_COLUMNS}, ${OPEN_DAY} as "openDay"
           from commissions c
          where c.handle = $1 and (c.commission_id = any($2::uuid[]) or c.type = 'adjustment' and c.conversion_id = any($3::uuid[]))
          order by c.commission_id for update`,
        [handle, ids, conversions.map((v) => v.id)],
      );
      const found = new Map(rows.map(({ openDay, ...c }) => [c.commissionId as string, { c, openDay: openDay as boolean, conversionReversed: reversedWhole.has(c.conversionId) }]));
      const results = new Map<string, MoveResult>();
      const moving: Array<[string, string]> = [];
      for (const id of ids) {
        const hit = found.get(id);
        if (!hit) {
          results.set(id, { commissionId: id, status: 404, error: { code: 'not_found', message: 'Commission not found.' } });
          continue;
        }
        const problem = manualMoveProblem({ status: hit.c.status, type: hit.c.type, openDay: hit.openDay, conversionReversed: hit.conversionReversed }, to);
        if (problem === 'unchanged') results.set(id, { commissionId: id, status: 200, commission: hit.c });
        else if (problem) results.set(id, { commissionId: id, status: 409, error: { code: 'invalid_transition', message: problem } });
        else moving.push([id, hit.c.status]);
      }
      // What moved, the adjustments that followed their commissions included: one named in the same request is
      // answered as moved (its 409 said "approve the commission instead" of a commission this very request approved).
      const named = new Set(ids);
      for (const c of await this.applyMoves(client, handle, moving, to, reason, actor)) {
        // Each named id is answered once: a follower not named is not an answer (ids.map below leaves it out anyway).
        if (named.has(c.commissionId)) results.set(c.commissionId, { commissionId: c.commissionId, status: 200, commission: c });
      }
      return ids.map((id) => results.get(id)!);
    });
    this.deps.outbox.wake();
    return results;
  }

  /** Moves the commissions, then what follows them: their adjustments, and a catch-up adjustment for reversals a rejection skipped. */
  private async applyMoves(client: PoolClient, handle: string, moves: Array<[string, string]>, to: ManualStatus, reason: string, actor: string) {
    if (!moves.length) return [];
    const wanted = this.deps.outbox.wants(handle, 'commission.updated');
    const { rows } = await client.query(MOVE, [handle, moves.map((m) => m[0]), moves.map((m) => m[1]), to, reason, actor, wanted]);
    const from = new Map(moves);
    const parents = rows.filter((c) => c.type === 'conversion' && c.conversionId).map((c): [string, string] => [c.conversionId, from.get(c.commissionId)!]);
    const followers = await moveFollowers(client, handle, parents, to, reason, actor, wanted);
    for (const [conversionId, left] of parents) if (left === 'rejected' && to === 'approved') await catchUpReversals(client, handle, conversionId, actor);
    return [...rows, ...followers];
  }
}
