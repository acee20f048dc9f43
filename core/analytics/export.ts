// Click-level export straight from PostgreSQL: `COPY (select …) TO STDOUT` formats each row in
// the database and the bytes are piped to the response with backpressure, so memory stays flat.
import { pipeline, type Readable } from 'node:stream';
import type { Pool } from 'pg';
import copyStreams from 'pg-copy-streams';
import { csvRow, EXPORT_COLUMNS } from './csv.ts';
import { ScavengeEvery } from './export-garbage.ts';
import { ExportPace, type PaceLimits } from './export-pace.ts';
import { CsvLineEndings, UnescapeCopyText } from './export-streams.ts';
import type { Window } from './range.ts';
import { partnerAtSql } from '../campaigns/index.ts';
import { escapeLiteral } from '../db/escape-literal.ts';
import { isoTimeSql } from '../db/json-time.ts';

export type ExportFormat = 'csv' | 'ndjson';

export interface ExportFilter {
  handle: string;
  campaignIds: string[];
  /** Only clicks of this partner: made while it held their campaign (the partner realm, the partnerId filter). */
  partnerId?: string;
  window: Window;
}

/** How a value enters the SQL: a `$n` placeholder, or (COPY takes no parameters) an escaped literal. */
export type Bind = (value: unknown) => string;

export const literal: Bind = (v) => {
  if (Array.isArray(v)) return v.length ? `array[${v.map((x) => escapeLiteral(String(x))).join(', ')}]` : `'{}'`;
  if (v instanceof Date) return `${escapeLiteral(v.toISOString())}::timestamptz`;
  return escapeLiteral(String(v));
};

/**
 * One row per click, typed, in EXPORT_COLUMNS order. Conversions of the click count whenever they
 * were recorded; a click whose conversions with a value span currencies lists them space-separated and
 * leaves `value` empty (there is no FX rate to add them up). A conversion without a value does not count
 * there: USD 10 and a value-less EUR conversion are `10`, `USD`.
 *
 * The plan must not depend on table statistics: on never-analyzed tables the planner estimates one
 * row per side and re-ran the conversions aggregate once per click (a nested loop, minutes for 30k
 * clicks). So the aggregate is a MATERIALIZED CTE (computed once, whatever the estimates), and the
 * export's session turns nested loops off (EXPORT_SESSION), leaving a hash or merge join.
 */
export function exportRowsSql(f: ExportFilter, bind: Bind): string {
  const handle = bind(f.handle);
  const ids = bind(f.campaignIds);
  let clicks = `c.handle = ${handle} and c.campaign_id = any(${ids}::text[])`;
  // A conversion is never recorded before its click, so the window's start also bounds conversions.
  let conversions = `x.handle = ${handle} and x.campaign_id = any(${ids}::text[])`;
  if (f.window.from) {
    const from = bind(f.window.from);
    clicks += ` and c.occurred_at >= ${from}`;
    conversions += ` and x.created_at >= ${from}`;
  }
  if (f.window.to) clicks += ` and c.occurred_at < ${bind(f.window.to)}`;
  // Checked again in this statement, not only when the campaign ids were looked up: a click is the
  // partner's if the partner held its campaign when it happened, as in the funnel; so is a conversion
  // (one recorded after a handover, on an earlier click, is the next partner's).
  let holderOfConversion = '';
  if (f.partnerId !== undefined) {
    const partner = bind(f.partnerId);
    clicks += ` and holder.partner_id = ${partner}`;
    holderOfConversion = `join campaigns xc on xc.handle = x.handle and xc.campaign_id = x.campaign_id`;
    conversions += ` and (${partnerAtSql('xc', 'x.created_at')}) = ${partner}`;
  }
  return `with v as materialized (
      select x.click_id, count(*)::int as n, count(*) filter (where x.verified)::int as verified,
             -- Currencies of the conversions that carry a value: one without a value adds nothing in any currency.
             case when count(distinct x.currency) filter (where x.value is not null) <= 1 then trim_scale(sum(x.value)) end as value,
             coalesce(string_agg(distinct x.currency::text, ' ' order by x.currency::text) filter (where x.value is not null),
                      string_agg(distinct x.currency::text, ' ' order by x.currency::text)) as currency
        from conversions x ${holderOfConversion} where ${conversions} group by x.click_id
    )
    select c.click_id, c.campaign_id,
      ${isoTimeSql('c.occurred_at')} as occurred_at,
      c.country, c.segment, c.referrer_host as referrer, c.source, c.is_bot, c.bot_reason,
      v.n is not null as converted, coalesce(v.n, 0) as conversions, v.value, v.currency,
      c.sub1, c.sub2, c.sub3, c.sub4, c.sub5, holder.partner_id,
      -- Not an export column: reconcile's view of which conversions count as verified (merchant auth, bots).
      coalesce(v.verified, 0) as verified_conversions
    from clicks c left join v on v.click_id = c.click_id
    left join campaigns p on p.handle = c.handle and p.campaign_id = c.campaign_id
    cross join lateral (select ${partnerAtSql('p', 'c.occurred_at')} as partner_id) holder
    where ${clicks}
    order by c.occurred_at, c.click_id`;
}

/**
 * Settings of the export's transaction: JIT compiling this plan costs more than running it, and a
 * nested loop over the conversions aggregate is quadratic (see exportRowsSql).
 */
export const EXPORT_SESSION = `set local jit = off; set local enable_nestloop = off`;

/** The same defusing as csv.ts: a cell starting like a formula (but not a plain number) gets a leading quote. */
const safe = (col: string) =>
  `case when left(${col}, 1) in ('=', '+', '-', '@', E'\\t', E'\\r') and ${col} !~ '^-?[0-9]+(\\.[0-9]+)?$' then '''' || ${col}
        else nullif(${col}, '') end`;

// exportRowsSql's column names, in EXPORT_COLUMNS order.
const sqlColumns = [
  'click_id', 'campaign_id', 'occurred_at', 'country', 'segment', 'referrer', 'source', 'is_bot', 'bot_reason', 'converted', 'conversions',
  'value', 'currency', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'partner_id',
];

function copySql(f: ExportFilter, format: ExportFormat): string {
  const rows = exportRowsSql(f, literal);
  if (format === 'ndjson') {
    const pairs = EXPORT_COLUMNS.map((name, i) => `'${name}', r.${sqlColumns[i]}`).join(', ');
    return `copy (select json_build_object(${pairs})::text from (${rows}) r) to stdout`;
  }
  // Text columns a visitor or plugin can influence are defused; COPY's CSV quoting is RFC 4180.
  const cells = [
    'r.click_id', 'r.campaign_id', 'r.occurred_at', 'r.country', safe('r.segment'), safe('r.referrer'), safe('r.source'),
    'r.is_bot::text', safe('r.bot_reason'), 'r.converted::text', 'r.conversions', 'r.value', 'r.currency',
    safe('r.sub1'), safe('r.sub2'), safe('r.sub3'), safe('r.sub4'), safe('r.sub5'), 'r.partner_id',
  ];
  return `copy (select ${cells.join(', ')} from (${rows}) r) to stdout with (format csv)`;
}

/**
 * Starts an export on one client of `pool` (the exports' own pool) and returns the response body.
 * The client is released when the body ends; if the reader goes away mid-COPY, or reads slower
 * than `pace` allows, the connection is discarded instead, which also stops the query. `onClose`
 * gets the error that cut the export short, if any.
 */
export async function openExport(
  pool: Pool, f: ExportFilter, format: ExportFormat, pace: PaceLimits, onClose: (err?: Error) => void = () => {},
): Promise<Readable> {
  const client = await pool.connect();
  let closed = false;
  const close = (err?: Error) => {
    if (closed) return;
    closed = true;
    onClose(err);
  };
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.off('error', release);
    client.release(err);
    close(err);
  };
  // A connection lost while checked out emits 'error' on the client: without a listener, that kills the process.
  client.on('error', release);
  try {
    await client.query('begin read only');
    await client.query(EXPORT_SESSION);
  } catch (err) {
    release(err as Error);
    throw err;
  }
  const body = format === 'csv' ? new CsvLineEndings(csvRow(EXPORT_COLUMNS)) : new UnescapeCopyText();
  const paced = new ExportPace(pace);
  const copy = client.query(copyStreams.to(copySql(f, format)));
  // Between the body and the pace stage: it scavenges the body's and the socket's garbage as the export goes.
  pipeline(copy, body, new ScavengeEvery(), paced, (err) => {
    if (err) return release(err);
    // Every row is out: the export is over for its caller, who may start the next one before this commit returns.
    close();
    client.query('commit').then(() => release(), (e: Error) => release(e));
  });
  return paced;
}
