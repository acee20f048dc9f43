// A payout's statement: its commission lines as CSV or NDJSON, read in pages that all see one snapshot.
import { pipeline, Readable } from 'node:stream';
import type { Pool } from 'pg';
import { csvRow, ExportPace, ndjsonRow, type PaceLimits } from '../analytics/index.ts';
import { centsOf, centsToText } from '../commissions/index.ts';
import type { Numeric } from '../db/numeric.ts';

export type StatementFormat = 'csv' | 'ndjson';

/** The partner realm's columns: its own lines, never the merchant's order key (as its conversion list). */
export const PARTNER_STATEMENT_COLUMNS = [
  'commissionId', 'type', 'partnerId', 'campaignId', 'conversionId', 'eventType', 'quantity', 'amount', 'currency',
  'status', 'holdUntil', 'createdAt', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5',
] as const;

/** The handle's: the same, then the conversion's idempotencyKey (the merchant's order id), to reconcile against orders. */
export const STATEMENT_COLUMNS = [...PARTNER_STATEMENT_COLUMNS, 'idempotencyKey'] as const;

const PAGE = 5000;

const PARTNER_LINE = `c.commission_id as "commissionId", c.type, c.partner_id as "partnerId", c.campaign_id as "campaignId",
         c.conversion_id as "conversionId", c.event_type as "eventType", c.quantity, c.amount, c.currency,
         c.status, c.hold_until as "holdUntil", c.created_at as "createdAt", c.sub1, c.sub2, c.sub3, c.sub4, c.sub5`;
/** A line's conversion key: one primary-key read per conversion line (click, clawback rows of none). */
const LINE = `${PARTNER_LINE}, (select v.idempotency_key from conversions v where v.conversion_id = c.conversion_id) as "idempotencyKey"`;

/** A pending or paid payout's lines: they carry its id (the commissions_payout index, read in order, stops at the page). */
const heldPage = (line: string) => `select ${line} from commissions c where c.handle = $1 and c.payout_id = $2 and c.commission_id > $3
   order by c.commission_id limit ${PAGE}`;

/**
 * A canceled payout's lines were released (payout_releases): their status as it is now, approved again or paid
 * by a later payout. The page is cut from the releases' primary key first, and its commissions are read by
 * theirs as an array: a join or IN over the page let the planner scan every commission (600 k rows: 270-410 ms
 * a page, against 140-155 ms this way; EXPLAIN ANALYZE on PostgreSQL 15), as a union of both kinds of line
 * under one limit sorted all the remaining ones.
 */
const releasedPage = (line: string) => `select ${line} from commissions c
   where c.handle = $1 and c.commission_id = any(array(select r.commission_id from payout_releases r
                                                        where r.payout_id = $2 and r.handle = $1 and r.commission_id > $3
                                                        order by r.commission_id limit ${PAGE}))
   order by c.commission_id`;

/**
 * The payout's commission lines, in pages of 5,000 (a statement may hold 100,000 lines), all read in
 * one REPEATABLE READ, READ ONLY transaction on one client: a cancel or mark-paid that commits while
 * the statement downloads does not show in it (pages of separate snapshots came back cut short, or
 * `approved` then `paid`). The transaction ends and the client goes back to the pool as soon as the last
 * page is read, before its lines go out (most statements are one page: no connection waits on their reader),
 * or however the generator ends earlier (error, or return() when its reader goes away); one whose
 * rollback failed is discarded. The caller bounds how long a slow reader may hold it (statementBody).
 */
export async function* statementLines(pool: Pool, handle: string, payoutId: string, partnerView: boolean): AsyncGenerator<Record<string, unknown>> {
  const client = await pool.connect();
  let open = true;
  const end = async (how: 'commit' | 'rollback') => {
    if (!open) return;
    open = false;
    let broken: Error | undefined;
    await client.query(how).catch((e: Error) => (broken = e));
    client.release(broken);
  };
  try {
    await client.query('begin isolation level repeatable read, read only');
    const { rows: [payout] } = await client.query('select status from payouts where handle = $1 and payout_id = $2', [handle, payoutId]);
    const line = partnerView ? PARTNER_LINE : LINE;
    const page = payout?.status === 'canceled' ? releasedPage(line) : heldPage(line);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await client.query(page, [handle, payoutId, after]);
      const last = rows.length < PAGE;
      if (last) await end('commit');
      for (const row of rows) yield row;
      if (last) return;
      after = rows[rows.length - 1].commissionId;
    }
  } finally {
    await end('rollback');
  }
}

/** A CSV cell: an amount with its two decimals (15.00, -2.50), as a bank statement shows it; NDJSON keeps the API's numbers. */
const cell = (line: Record<string, unknown>, column: string) => (column === 'amount' ? centsToText(centsOf(line.amount as Numeric)) : line[column]);

async function* formatted(lines: AsyncGenerator<Record<string, unknown>>, format: StatementFormat, columns: readonly string[]) {
  if (format === 'csv') yield csvRow(columns);
  for await (const line of lines) yield format === 'csv' ? csvRow(columns.map((c) => cell(line, c))) : ndjsonRow(line);
}

/**
 * The response body. The lines hold a database connection and a transaction open while they are read,
 * so a reader slower than `pace` (EXPORT_MIN_BYTES_PER_S over EXPORT_STALL_MS, as exports) is cut; a
 * cut, or a reader that goes away, destroys the lines and so ends the transaction. `onClose` gets the
 * error that cut the statement short, if any.
 */
export function statementBody(lines: AsyncGenerator<Record<string, unknown>>, format: StatementFormat, columns: readonly string[], pace: PaceLimits, onClose: (err?: Error) => void): Readable {
  const paced = new ExportPace(pace);
  pipeline(Readable.from(formatted(lines, format, columns)), paced, (err) => onClose(err ?? undefined));
  return paced;
}
