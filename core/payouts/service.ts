import type { Readable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { ExportStalled } from '../analytics/index.ts';
import { cancelPayoutSql, commissionEventInsert, PAYOUT_COLUMNS, payoutAuditInsert, payoutEventInsert, statusAuditInsert } from '../commissions/index.ts';
import { Params } from '../db/params.ts';
import { withTransaction } from '../db/transaction.ts';
import { HttpError, notFound } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import { utcInstant } from '../http/time-window.ts';
import type { OutboxService } from '../outbox/index.ts';
import type { PartnerMinimums } from './minimum-payout.ts';
import { assertMatches, type PayoutState } from './etag.ts';
import { refuseUnknownPartners } from './unknown-partners.ts';
import { PARTNER_STATEMENT_COLUMNS, STATEMENT_COLUMNS, statementBody, statementLines, type StatementFormat } from './statement.ts';

const PAYOUTS_CURSOR = listCursor('payouts', ['timestamp', 'uuid']);


/**
 * One payout per partner and currency of the handle's approved, unpaid ledger rows (commissions and
 * clawbacks) with hold_until ≤ $2, when their sum is above 0 and at least the partner's minimum; a
 * smaller or negative sum stays unpaid and carries forward. The rows are locked and re-checked
 * (`payout_id is null`), and the caller holds the handle's payout lock, so a commission joins at most
 * one payout whatever runs concurrently. $1 handle, $2 period end, $3 partner ids or null, $4 run key,
 * $5 actor, $6 whether to write payout.created events.
 */
/** A payout's commission rows, locked in id order before they are updated (an UPDATE locks in scan order). */
const lockLines = (client: PoolClient, handle: string, payoutId: string) =>
  client.query('select 1 from commissions where handle = $1 and payout_id = $2 order by commission_id for update', [handle, payoutId]);

const runStatement = (minimum: string) => `
with eligible as (
  select c.commission_id, c.partner_id, c.currency, c.amount from commissions c
   -- holdUntil ≤ periodEnd as the API shows them: hold_until has microseconds, JSON times milliseconds, so a
   -- periodEnd copied from a commission's holdUntil (…43.700Z for …43.700512) must take it.
   where c.handle = $1 and c.status = 'approved' and c.payout_id is null and c.hold_until < $2::timestamptz + interval '1 millisecond'
     and ($3::text[] is null or c.partner_id = any($3::text[]))
   -- Locked in id order, as every writer of commission rows locks them (a move, a reversal): no deadlock.
   order by c.commission_id
   for update
), totals as (
  select partner_id, currency, sum(amount) as amount, count(*)::int as n from eligible group by 1, 2
), chosen as (
  select t.*, gen_random_uuid() as payout_id from totals t where t.amount > 0 and t.amount >= ${minimum}
), created as (
  insert into payouts (payout_id, handle, partner_id, currency, amount, commission_count, period_end, run_key)
  select payout_id, $1, partner_id, currency, amount, n, $2, $4 from chosen
  returning *
), joined as (
  update commissions c set payout_id = ch.payout_id, updated_at = clock_timestamp()
    from eligible e join chosen ch using (partner_id, currency)
   where c.commission_id = e.commission_id
), audit as (${payoutAuditInsert('created', 'payout.created', '$5::text')}
), events as (${payoutEventInsert('created', 'payout.created', '$6::boolean')})
select ${PAYOUT_COLUMNS} from created p order by p.partner_id, p.currency`;

export interface RunInput {
  idempotencyKey: string;
  periodEnd?: string;
  partnerIds?: string[];
}

type Deps = { pg: Pool; partnerMinimums: PartnerMinimums; outbox: OutboxService; config: Config; log: Logger };

/** Payouts: runs keyed by an idempotency key, statements, mark-paid and cancel. */
export class PayoutService {
  private readonly deps: Deps;

  constructor(deps: Deps) {
    this.deps = deps;
  }

  /** Creates the run's payouts (`created`), or returns the payouts of the run that had this key. */
  async run(handle: string, given: RunInput, actor: string): Promise<{ created: boolean; mismatch?: true; data: unknown[] }> {
    // timestamptz refuses offsets beyond ±15:59, which RFC 3339 allows: the period end goes to SQL in UTC.
    const input = given.periodEnd ? { ...given, periodEnd: utcInstant(given.periodEnd) } : given;
    const result = await withTransaction(this.deps.pg, async (client) => {
      // A concurrent run with the same key makes this insert wait for its commit, then do nothing.
      const { rows: [run] } = await client.query(
        `insert into payout_runs (handle, idempotency_key, period_end, partner_ids, actor)
         values ($1, $2, coalesce($3::timestamptz, now()), $4, $5)
         on conflict (handle, idempotency_key) do nothing returning period_end`,
        [handle, input.idempotencyKey, input.periodEnd ?? null, input.partnerIds ?? null, actor],
      );
      if (!run) {
        const data = await this.ofRun(client, handle, input.idempotencyKey);
        return { created: false, data, ...((await this.differs(client, handle, input)) && { mismatch: true as const }) };
      }
      if (input.partnerIds) await refuseUnknownPartners(client, handle, input.partnerIds, await this.deps.partnerMinimums.present(client));
      // One run per handle at a time across processes: the next one starts after this commits and sees its payouts.
      await client.query(`select pg_advisory_xact_lock(hashtextextended('payouts/' || $1, 0))`, [handle]);
      const minimum = await this.deps.partnerMinimums.expression(client, 't.partner_id');
      const wanted = this.deps.outbox.wants(handle, 'payout.created');
      const { rows } = await client.query(runStatement(minimum), [handle, run.period_end, input.partnerIds ?? null, input.idempotencyKey, actor, wanted]);
      return { created: true, data: rows };
    });
    if (result.created && result.data.length) this.deps.outbox.wake();
    return result;
  }

  /**
   * Whether a repeated key came with another body than its run's: another period end, or other partners (none
   * named = all of them). A period end left out is the time of the run (now()), so the first run left it out
   * exactly when its period_end equals its created_at (both now() of its transaction). Such a repeat still
   * answers the first run's payouts.
   */
  private async differs(client: PoolClient, handle: string, input: RunInput): Promise<boolean> {
    const { rows: [d] } = await client.query<{ differs: boolean }>(
      `select (case when $3::timestamptz is null then period_end <> created_at else $3::timestamptz <> period_end end)
              or (partner_ids is null) <> ($4::text[] is null)
              or (select array_agg(distinct p order by p) from unnest(partner_ids) p)
                 is distinct from (select array_agg(distinct p order by p) from unnest($4::text[]) p) as differs
         from payout_runs where handle = $1 and idempotency_key = $2`,
      [handle, input.idempotencyKey, input.periodEnd ?? null, input.partnerIds ?? null],
    );
    return Boolean(d?.differs);
  }

  private async ofRun(client: PoolClient, handle: string, key: string) {
    const { rows } = await client.query(
      `select ${PAYOUT_COLUMNS} from payouts p where p.handle = $1 and p.run_key = $2 order by p.partner_id, p.currency`,
      [handle, key],
    );
    return rows;
  }

  async list(handle: string, f: { status?: string; partnerId?: string; limit: number; cursor?: string }) {
    const p = new Params();
    const where = [`p.handle = ${p.add(handle)}`];
    if (f.status) where.push(`p.status = ${p.add(f.status)}`);
    if (f.partnerId) where.push(`p.partner_id = ${p.add(f.partnerId)}`);
    const after = PAYOUTS_CURSOR.after(f.cursor, handle);
    if (after) where.push(`(p.created_at, p.payout_id) < (${p.add(after[0])}::timestamptz, ${p.add(after[1])}::uuid)`);
    const { rows } = await this.deps.pg.query(
      `select ${PAYOUT_COLUMNS}, to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
         from payouts p where ${where.join(' and ')}
        order by p.created_at desc, p.payout_id desc limit ${p.add(f.limit + 1)}`,
      p.values,
    );
    const page = PAYOUTS_CURSOR.page(rows, f.limit, (r) => [r.k, r.payoutId], handle);
    return { data: page.data.map(({ k: _k, ...r }) => r), nextCursor: page.nextCursor };
  }

  /** A payout of the handle; with `partnerId`, only that partner's (another's is the same 404 as none). */
  async get(handle: string, payoutId: string, partnerId?: string) {
    const { rows } = await this.deps.pg.query(
      `select ${PAYOUT_COLUMNS} from payouts p where p.handle = $1 and p.payout_id = $2 and ($3::text is null or p.partner_id = $3)`,
      [handle, payoutId, partnerId ?? null],
    );
    if (!rows[0]) throw notFound('Payout');
    return rows[0];
  }

  /** pending → paid: its commissions become `paid` (each change audited). */
  async markPaid(handle: string, payoutId: string, reference: string | null, actor: string, ifMatch?: string) {
    const paid = await this.transition(handle, payoutId, 'paid', ifMatch, async (client) => {
      await lockLines(client, handle, payoutId);
      const { rows } = await client.query(
        `with p as (
           update payouts set status = 'paid', paid_at = statement_timestamp(), reference = $3, updated_at = statement_timestamp()
            where handle = $1 and payout_id = $2 returning *
         ), moved as (
           update commissions c set status = 'paid', updated_at = statement_timestamp()
             from p where c.payout_id = p.payout_id and c.status = 'approved'
           returning c.*, 'approved'::text as from_status
         -- Why a line was paid is its payout's reference (the transfer), not the reason it was approved for.
         ), audit_lines as (${statusAuditInsert(`(select m.handle, m.commission_id, m.campaign_id, m.partner_id, m.from_status, m.status, m.updated_at,
                                                         (select reference from p) as reason from moved m) m`, '$4::text', `'payout'`)}
         ), line_events as (${commissionEventInsert('moved', 'commission.updated', '$5::boolean')}
         ), audit as (${payoutAuditInsert('p', 'payout.paid', '$4::text', 'updated_at')}
         ), events as (${payoutEventInsert('p', 'payout.paid', '$6::boolean')})
         select ${PAYOUT_COLUMNS} from p`,
        [handle, payoutId, reference, actor, this.deps.outbox.wants(handle, 'commission.updated'), this.deps.outbox.wants(handle, 'payout.paid')],
      );
      return rows[0];
    });
    this.deps.outbox.wake();
    return paid;
  }

  /**
   * pending → canceled: its commissions leave it and are approved and unpaid again, for the next run. Which ones
   * it held is kept (payout_releases): its statement still lists them.
   */
  async cancel(handle: string, payoutId: string, actor: string, ifMatch?: string) {
    const canceled = await this.transition(handle, payoutId, 'canceled', ifMatch, async (client) => {
      await lockLines(client, handle, payoutId);
      const { rows } = await client.query(cancelPayoutSql('$3::text', '$4::boolean'), [handle, payoutId, actor, this.deps.outbox.wants(handle, 'payout.canceled')]);
      return rows[0];
    });
    this.deps.outbox.wake();
    return canceled;
  }

  /** Only a pending payout moves (to paid or canceled); anything else → 409 invalid_transition. */
  private transition(handle: string, payoutId: string, to: 'paid' | 'canceled', ifMatch: string | undefined, apply: (client: PoolClient) => Promise<unknown>) {
    return withTransaction(this.deps.pg, async (client) => {
      const { rows: [current] } = await client.query<PayoutState>(
        `select status, amount, currency, commission_count as "commissionCount" from payouts where handle = $1 and payout_id = $2 for update`, [handle, payoutId]);
      if (!current) throw notFound('Payout');
      if (current.status !== 'pending') {
        throw new HttpError(409, 'invalid_transition', `A ${current.status} payout cannot be ${to === 'paid' ? 'marked paid' : 'canceled'}.`);
      }
      assertMatches(ifMatch, current);
      return apply(client);
    });
  }

  /**
   * The statement's body: the payout's lines as they were when the first page was read, whatever commits
   * meanwhile (statement.ts). A reader slower than an export may be (EXPORT_MIN_BYTES_PER_S over
   * EXPORT_STALL_MS) is cut, as it holds a connection of the main pool and a transaction.
   */
  statement(handle: string, payoutId: string, format: StatementFormat, partnerView = false): Readable {
    const { pg, config, log } = this.deps;
    const pace = { windowMs: config.exportStallMs, minBytesPerS: config.exportMinBytesPerS };
    const columns = partnerView ? PARTNER_STATEMENT_COLUMNS : STATEMENT_COLUMNS;
    return statementBody(statementLines(pg, handle, payoutId, partnerView), format, columns, pace, (err) => {
      // The 200 and part of the body are out: a failure now can only cut the stream, so say why here.
      if (err instanceof ExportStalled) log.warn({ handle, payoutId, reason: err.message }, 'statement cut: its reader was too slow');
      else if (err && (err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.error({ err, handle, payoutId }, 'statement stopped before its last line');
    });
  }
}
