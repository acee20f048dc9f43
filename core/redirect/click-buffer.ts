// Clicks wait here after their redirect was answered and are written in batches: one statement
// inserts the rows and folds them into the rollups (core/analytics/rollup-sql.ts) and last-click times.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { clickRollupCtes } from '../analytics/index.ts';
import { HANDOVER_LOCKS_SHARED_SQL, handoverLocksShared, partnerAtSql } from '../campaigns/index.ts';
import { clickCommissionUpsert, commissionCreatedAudit, commissionEventInsert } from '../commissions/index.ts';
import { FORCE_GENERIC_PLAN, transactionInOneRoundTrip } from '../db/one-round-trip.ts';
import { withTransaction } from '../db/transaction.ts';
import { withDeadline } from '../infra/deadline.ts';
import type { OutboxEvent, OutboxService } from '../outbox/index.ts';
import type { ClickSpill, SpillBatch } from './click-spill.ts';
import { boolArray, plainArray, textArray, unnested } from '../db/pg-array.ts';
import { browserAndOs } from './user-agent.ts';
import { clickFlushFailures, clicksDropped, clicksReplayed, clicksStored, trackBuffer } from './metrics.ts';

export interface ClickRow {
  clickId: string;
  handle: string;
  campaignId: string;
  occurredAt: Date;
  country: string;
  segment: string;
  device: string;
  source: string;
  referrerHost: string | null;
  language: string | null;
  destinationUrl: string;
  userAgent: string;
  ipHash: string | null;
  isBot: boolean;
  botReason: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

// Rollups and click commissions computed from what was really inserted. A batch retried after a commit
// whose answer was lost (or a spill replayed twice) meets its own rows on the key (which holds occurred_at,
// the partition key a click keeps from its redirect on, spill and retries included): such batches are
// written with ON CONFLICT DO NOTHING, adding nothing twice, and so is a fresh batch whose plain insert
// failed on the key. The plain insert for fresh batches, because a speculative insertion costs every row
// ~15 % more and nearly every batch is new.
// Rollup rows are upserted in one fixed order of their keys, so two processes flushing at once lock them in the same order
// (no deadlock); campaign_stats too, the campaign first as in the rollups (rollup-sql.ts: the key that varies most first).
const insertBatch = (onConflict: string) => `
with ins as (
  insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, referrer_host,
                      language, destination_url, user_agent, ip_hash, is_bot, bot_reason, sub1, sub2, sub3, sub4, sub5, browser, os)
  -- Times travel as epoch milliseconds (exact: the product is whole microseconds below 2^53): Date.toISOString()
  -- was ~0.4 µs a click, the largest part of building the batch, and PostgreSQL parses an integer faster too.
  select click_id, handle, campaign_id, timestamptz 'epoch' + at_ms * interval '1 millisecond', country, segment, device, source,
         referrer_host, language, destination_url, user_agent, ip_hash, is_bot, bot_reason, sub1, sub2, sub3, sub4, sub5, browser, os
    from (${unnested({
      click_id: '$1::uuid[]', handle: '$2::text[]', campaign_id: '$3::text[]', at_ms: '$4::bigint[]', country: '$5::text[]',
      segment: '$6::text[]', device: '$7::text[]', source: '$8::text[]', referrer_host: '$9::text[]', language: '$10::text[]',
      destination_url: '$11::text[]', user_agent: '$12::text[]', ip_hash: '$13::text[]', is_bot: '$14::boolean[]', bot_reason: '$15::text[]',
      sub1: '$17::text[]', sub2: '$18::text[]', sub3: '$19::text[]', sub4: '$20::text[]', sub5: '$21::text[]', browser: '$22::text[]', os: '$23::text[]',
    })}) u
  ${onConflict}
  returning click_id, handle, campaign_id, occurred_at, country, segment, source, browser, os, is_bot
), rollup_source as (
  select handle, campaign_id, occurred_at as at, country, segment, source, browser, os, is_bot from ins
), ${clickRollupCtes('rollup_source')},
stats as (
  insert into campaign_stats (handle, campaign_id, last_click_at)
  -- Grouped in a subquery, which PostgreSQL hashes: only the batch's campaigns are sorted, not every click.
  select handle, campaign_id, at from (
    select handle, campaign_id, max(occurred_at) as at from ins group by 1, 2
  ) s order by campaign_id, handle
  on conflict (handle, campaign_id) do update
     set last_click_at = greatest(campaign_stats.last_click_at, excluded.last_click_at)
), click_source as (
  -- A click earns for whoever held its campaign when it happened (one still buffered at a handover:
  -- the partner before), as the partners' analytics count it, and as that partner was then: a click from
  -- before its status last changed finds the status it had in partner_status_history (migration 0031).
  select i.handle, i.campaign_id, h.partner_id, i.occurred_at, i.is_bot,
         coalesce(case when i.occurred_at >= p.status_since then p.status
                       else (select s.status from partner_status_history s
                              where s.handle = p.handle and s.partner_id = p.partner_id and s.until > i.occurred_at
                              order by s.until limit 1) end = 'SUSPENDED', false) as partner_suspended
    from ins i
    join campaigns cp on cp.handle = i.handle and cp.campaign_id = i.campaign_id
    cross join lateral (select ${partnerAtSql('cp', 'i.occurred_at')} as partner_id) h
    left join partners p on p.handle = cp.handle and p.partner_id = h.partner_id
   where h.partner_id is not null
), click_commissions as (${clickCommissionUpsert('click_source')}
), new_click_commissions as (
  -- The day's row is a new ledger row once (audited and announced like every commission); growing it is neither.
  select * from click_commissions where created
), click_commission_audit as (${commissionCreatedAudit('new_click_commissions', "'system'")}
), click_commission_events as (${commissionEventInsert('new_click_commissions', 'commission.created')}
)
select click_id as "clickId" from ins where handle = any($16::text[])`;

// Shared locks on the batch's campaigns, taken before the insert statement's snapshot: a handover of one
// of them waits for this batch, and a batch behind a handover sees it (campaigns/partner-history.ts).
const HANDOVER_LOCK_BATCH = {
  name: 'tenx-click-batch-handover-locks',
  text: HANDOVER_LOCKS_SHARED_SQL,
};

// Named: each connection parses and plans them once, not on every flush. `prepared`: the same text PREPAREd in SQL for a
// batch sent as one message (no handle wants link.clicked events, which need the inserted rows back first), under its own
// name: protocol-level and SQL prepared statements share a session's names, and one connection may run both paths.
function batchStatement(name: string, onConflict: string) {
  const text = insertBatch(onConflict);
  return { name, text, prepared: { name: name.replaceAll('-', '_'), text } };
}
const FIRST_WRITE = batchStatement('tenx-click-batch', '');
const REWRITE = batchStatement('tenx-click-batch-again', 'on conflict (click_id, occurred_at) do nothing');
type BatchStatement = ReturnType<typeof batchStatement>;
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export interface ClickBufferOptions {
  pg: Pool;
  /**
   * A batch no handle wants link.clicked events of goes as one message (begin, handover locks, insert, commit) on
   * PostgreSQL; not on embedded PGlite (one process, the conversion claim does not either).
   */
  oneMessage?: boolean;
  outbox: OutboxService;
  log: Logger;
  flushMs: number;
  batchSize: number;
  maxBuffered: number;
  /** Takes the clicks the buffer cannot hold; none = they are dropped (counted). */
  spill?: ClickSpill;
}

const MAX_BACKOFF_MS = 5_000;
const FIRST_WRITE_MIN_MS = 200;

export class ClickBuffer {
  private queue: ClickRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failures = 0;
  private retryAt = 0;
  private readonly untrack: () => void;

  private readonly opts: ClickBufferOptions;
  constructor(opts: ClickBufferOptions) {
    this.opts = opts;
    this.untrack = trackBuffer(this);
  }

  /** Clicks in memory, including a batch being written or waiting for its retry. */
  get size(): number {
    return this.queue.length;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.opts.flushMs);
    this.timer.unref();
  }

  /** Keeps a click for the next batch, or spills it when the buffer is full; false (and counted) when it is lost. */
  push(row: ClickRow): boolean {
    const { spill } = this.opts;
    // Once spilling, every click goes behind the spilled ones until the spill has drained: one order.
    if (spill?.active || this.queue.length >= this.opts.maxBuffered) {
      if (spill?.append(row)) return true;
      clicksDropped.inc({ reason: spill ? 'spill_full' : 'buffer_full' });
      return false;
    }
    this.queue.push(row);
    if (this.queue.length === this.opts.batchSize) setImmediate(() => void this.flush());
    return true;
  }

  /** Writes every full or due batch, one statement at a time; on failure keeps the rows and backs off. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if ((this.queue.length === 0 && !this.opts.spill?.active) || Date.now() < this.retryAt) return Promise.resolve();
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * Shutdown: stop the timer and write until empty, until the deadline (which comes before the process's forced
   * exit). A backoff left from before shutdown is not waited out: the database may be back. With a spill, two
   * writes failing now end the retries (the clicks are safe on disk and written at the next start); a write
   * still pending at the deadline (a database that accepts and never answers) is not waited for. What is left
   * goes to the spill; what the spill cannot take is counted as dropped and logged.
   */
  async close(deadlineMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const { spill } = this.opts;
    const deadline = Date.now() + deadlineMs;
    const buffered = this.queue.length;
    const unwritten = () => this.queue.length > 0 || Boolean(spill?.active);
    this.retryAt = 0;
    let failedNow = 0;
    // One write at least, however little time is left (the usual case: the database is there and takes it at once).
    for (let first = true; unwritten() && (first || Date.now() < deadline); first = false) {
      const failuresBefore = this.failures;
      // The first write may take a moment past a deadline already reached (a very short SHUTDOWN_TIMEOUT_MS).
      const wait = Math.max(deadline - Date.now(), first ? FIRST_WRITE_MIN_MS : 0);
      if (!(await withDeadline(this.flush(), wait).then(() => true, () => false))) break; // flush() itself never rejects
      if (this.failures > failuresBefore && spill && ++failedNow >= 2) break;
      if (unwritten()) await new Promise((r) => setTimeout(r, Math.max(10, Math.min(this.retryAt - Date.now(), deadline - Date.now()))));
    }
    // A write still pending keeps its batch in `queue` until it commits: hand these rows on now and leave it an
    // empty queue (if it commits after all, the spill's replay meets its rows and adds nothing twice).
    const left = this.queue;
    this.queue = [];
    if (buffered > left.length) this.opts.log.info({ clicks: buffered - left.length }, 'buffered clicks written on shutdown');
    this.settleLeft(left);
    if (spill) await spill.close();
    this.untrack();
  }

  private settleLeft(left: ClickRow[]): void {
    const { spill } = this.opts;
    // Memory is older than anything spilled, but the spill replays at start before any new click: only
    // the relative order of these and the already spilled clicks changes, which no figure depends on.
    const lost = spill ? left.filter((row) => !spill.append(row)) : left;
    if (lost.length > 0) {
      this.opts.log.error({ clicks: lost.length }, 'shutdown deadline passed with clicks unwritten; they are lost');
      clicksDropped.inc({ reason: 'shutdown' }, lost.length);
    }
  }

  /** Memory first (the oldest clicks), then the spill; a replayed batch is skipped only after its commit. */
  private async drain(): Promise<void> {
    const { spill, batchSize } = this.opts;
    for (;;) {
      let spilled: SpillBatch | null = null;
      let batch: ClickRow[];
      try {
        // (A spill read failing, e.g. its file removed by hand, backs off like a failed write.)
        spilled = this.queue.length === 0 && spill?.active ? await spill.read(batchSize) : null;
        if (this.queue.length === 0 && !spilled) return;
        batch = spilled ? spilled.rows : this.queue.slice(0, batchSize);
        // A replayed spill, or a batch retried after a failure (its commit may have happened, the answer lost), may
        // meet rows already stored: written with ON CONFLICT at once, not after a failed insert. A failed statement is
        // logged by PostgreSQL with its text, and the one-message batch's text holds every click's values.
        if (batch.length) await this.write(batch, spilled !== null || this.failures > 0);
      } catch (err) {
        this.failures++;
        this.retryAt = Date.now() + Math.min(50 * 2 ** this.failures, MAX_BACKOFF_MS);
        clickFlushFailures.inc();
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.opts.log.warn({ err: (err as Error).message, buffered: this.queue.length, failures: this.failures }, 'click batch not written; keeping clicks and retrying');
        }
        return;
      }
      if (spilled) {
        await spilled.done();
        clicksReplayed.inc(batch.length);
      } else {
        // Rows pushed while the batch was being written stay queued behind it.
        this.queue.splice(0, batch.length);
      }
      if (this.failures) this.opts.log.info({ failures: this.failures }, 'click batches are being written again');
      this.failures = 0;
      this.retryAt = 0;
      clicksStored.inc(batch.length);
    }
  }

  private async write(batch: ClickRow[], mayBeStored: boolean): Promise<void> {
    const { outbox } = this.opts;
    const wanted = [...new Set(batch.map((r) => r.handle))].filter((h) => outbox.wants(h, 'link.clicked'));
    // Array literals built here (pg-array.ts: ~5× cheaper than pg's per-element escaping); same text on the wire.
    // One accessor per column (r.handle, not r[key]): a property read by a variable key is a megamorphic lookup per row and column.
    const text = (column: (r: ClickRow) => string | null) => textArray(batch, column);
    // Browser and OS per distinct user agent (cached), in the flush: no work on the redirect's path.
    const agents = batch.map((r) => browserAndOs(r.userAgent));
    const params = [
      plainArray(batch, (r) => r.clickId), text((r) => r.handle), text((r) => r.campaignId), plainArray(batch, (r) => String(r.occurredAt.getTime())),
      text((r) => r.country), text((r) => r.segment), text((r) => r.device), text((r) => r.source), text((r) => r.referrerHost),
      text((r) => r.language), text((r) => r.destinationUrl), text((r) => r.userAgent), plainArray(batch, (r) => r.ipHash),
      boolArray(batch, (r) => r.isBot), text((r) => r.botReason), textArray(wanted, (h) => h),
      text((r) => r.sub1), text((r) => r.sub2), text((r) => r.sub3), text((r) => r.sub4), text((r) => r.sub5),
      textArray(agents, (a) => a.browser), textArray(agents, (a) => a.os),
    ];
    if (mayBeStored) return this.insert(batch, params, wanted, REWRITE);
    try {
      await this.insert(batch, params, wanted, FIRST_WRITE);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.insert(batch, params, wanted, REWRITE);
    }
  }

  private async insert(batch: ClickRow[], params: string[], wanted: string[], statement: BatchStatement): Promise<void> {
    const { outbox } = this.opts;
    if (wanted.length === 0 && this.opts.oneMessage) {
      // begin, the handover locks, the insert and commit as one message: three round trips fewer, each waiting for a
      // turn of a busy event loop (docs/performance.md).
      await transactionInOneRoundTrip(this.opts.pg, [FORCE_GENERIC_PLAN, handoverLocksShared(params[1], params[2])], statement.prepared, params);
      return;
    }
    const query = { name: statement.name, text: statement.text, values: params };
    await withTransaction(this.opts.pg, async (client) => {
      await client.query({ ...HANDOVER_LOCK_BATCH, values: [params[1], params[2]] });
      const { rows } = await client.query(query);
      if (wanted.length === 0) return;
      const inserted = new Set(rows.map((r: { clickId: string }) => r.clickId));
      const events: OutboxEvent[] = batch.filter((r) => inserted.has(r.clickId)).map((r) => ({
        handle: r.handle,
        type: 'link.clicked',
        data: {
          clickId: r.clickId, campaignId: r.campaignId, occurredAt: r.occurredAt.toISOString(), country: r.country,
          segment: r.segment, source: r.source, referrerHost: r.referrerHost, isBot: r.isBot, botReason: r.botReason,
          // The partner's placement labels, as export rows and conversions carry them.
          sub1: r.sub1, sub2: r.sub2, sub3: r.sub3, sub4: r.sub4, sub5: r.sub5,
        },
      }));
      await outbox.emit(client, events);
    });
    if (wanted.length) outbox.wake();
  }
}
