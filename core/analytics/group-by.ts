// Breakdowns: visitor dimensions read the per-day dimension tables (hourly rollups at window edges),
// day, campaign and partner the funnel tables.
import { addMoney, isPartnerSet, queryAll, statementName, type Queryable } from './funnel.ts';
import type { HeldSpan } from './partner-spans.ts';
import type { Numeric } from '../db/numeric.ts';
import { Params } from '../db/params.ts';
import type { Dimension } from './rollup-sql.ts';
import { dimensionGrains, FUNNEL_CLICKS, FUNNEL_CONVERSIONS, spanSource, windowSource, type CampaignSet, type Grains, type SourceFilter, type Window } from './range.ts';

export const GROUP_BY = ['country', 'segment', 'referrer', 'source', 'browser', 'os', 'day', 'hour', 'campaign', 'partner'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface GroupRow {
  key: string;
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  /** Money: exact, as in funnel rows (db/numeric.ts). */
  revenue: Numeric;
  /** As in funnel rows: every currency's value, so that no currency is dropped from a breakdown. */
  revenueByCurrency: Record<string, Numeric>;
}

export const emptyGroupRow = (key: string): GroupRow => ({ key, clicks: 0, qualifiedClicks: 0, conversions: 0, revenue: 0, revenueByCurrency: {} });

/**
 * One (key, currency) conversion sum into its row: PostgreSQL summed the values; sums of one key
 * from several statements add up in whole cents.
 */
export function addConversions(row: GroupRow, r: { conversions: number; currency: string | null; value: Numeric; reporting: boolean | null }) {
  row.conversions += r.conversions;
  if (r.currency === null) return;
  const total = addMoney(row.revenueByCurrency[r.currency] ?? 0, r.value);
  row.revenueByCurrency[r.currency] = total;
  if (r.reporting) row.revenue = total;
}

/** groupBy=hour's key: the hour's start in UTC, ISO 8601 ("2026-02-24T10:00:00Z"). */
const HOUR_KEY = `to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"')`;

// The referrer dimension is the click's source channel (core/redirect/classify.ts sourceChannel).
const DIMENSION_COLUMN: Record<Exclude<GroupBy, 'day' | 'hour' | 'campaign' | 'partner'>, Dimension> = {
  country: 'country',
  segment: 'segment',
  referrer: 'source',
  source: 'source',
  browser: 'browser',
  os: 'os',
};

const SPANS_PER_STATEMENT = 250;
/** The spans one statement reads: [from, to) of GroupQuery.spans. */
type Batch = { from: number; to: number };

export interface GroupQuery {
  handle: string;
  campaigns: CampaignSet;
  window: Window;
  /** groupBy=partner: the campaigns that changed partner, each holder's time (the others count for their partner now). */
  spans?: HeldSpan[];
}

const PARTNER_SUMS = {
  clicks: { sums: 'sum(clicks) as clicks, sum(qualified_clicks) as qualified_clicks', keys: '1', none: 'null::bigint as clicks, null::bigint as qualified_clicks' },
  conversions: {
    sums: 'currency, sum(conversions) as conversions, sum(value) as value', keys: '1, 3',
    none: 'null::text as currency, null::bigint as conversions, null::numeric as value',
  },
};

/**
 * groupBy=partner's source rows, summed per campaign and partner: a partner's set is that partner's
 * alone; otherwise a campaign counts for its partner now (looked up once per campaign), except the
 * campaigns that changed partner, which count for each holder over its own time.
 */
function byPartner(g: Grains, filter: SourceFilter, spans: HeldSpan[], batch: Batch, kind: keyof typeof PARTNER_SUMS, p: Params): string {
  const { sums, keys, none } = PARTNER_SUMS[kind];
  const set = filter.campaigns;
  const summed = (source: string, partner: string) => `select campaign_id, ${partner} as partner, ${sums} from (${source}) r group by ${keys}`;
  if (isPartnerSet(set)) return `(${summed(windowSource(g, filter, p), `${p.add(set.partnerId)}::text`)})`;
  const asked = Array.isArray(set) ? new Set(set) : undefined;
  const handed = spans.slice(batch.from, batch.to).filter((s) => !asked || asked.has(s.campaignId));
  const parts: string[] = [];
  if (batch.from === 0) {
    // Every campaign that changed partner is left out here, whichever batch reads its spans.
    const ids = [...new Set(spans.map((s) => s.campaignId))];
    const others: CampaignSet = Array.isArray(set) ? set.filter((id) => !ids.includes(id)) : 'includeArchived' in set ? { ...set, exclude: ids } : set;
    const now = `coalesce((select c.partner_id from campaigns c where c.handle = ${p.add(filter.handle)} and c.campaign_id = r.campaign_id), '')`;
    parts.push(summed(windowSource(g, { ...filter, campaigns: others }, p), now));
  }
  for (const s of handed) {
    const source = spanSource(g, { ...filter, campaigns: [s.campaignId] }, s, p);
    if (source) parts.push(summed(source, `${p.add(s.partnerId ?? '')}::text`));
  }
  // A batch whose spans all miss the window reads nothing.
  if (!parts.length) return `(select null::text as campaign_id, null::text as partner, ${none} where false)`;
  return `(${parts.map((x) => `(${x})`).join(' union all ')})`;
}

// A key whose rows net to nothing (whole-handle rows minus an archived campaign's) is no row.
function statements(by: GroupBy, q: GroupQuery, batch: Batch = { from: 0, to: Infinity }): Array<{ text: string; values: unknown[] }> {
  const cp = new Params();
  const vp = new Params();
  const rc = `(select reporting_currency from tenants where handle = ${vp.add(q.handle)})`;
  const filter = { handle: q.handle, campaigns: q.campaigns, window: q.window, hourly: by === 'hour' };
  const key = by === 'day' ? 'day::text' : by === 'hour' ? HOUR_KEY : by === 'campaign' ? 'campaign_id' : by === 'partner' ? 'partner' : 'key';
  const source = (g: Grains, kind: 'clicks' | 'conversions', p: Params) =>
    by === 'partner' ? byPartner(g, filter, q.spans ?? [], batch, kind, p) : `(${windowSource(g, filter, p)})`;
  // groupBy=day and hour need the day (hour) of each row, which all-time totals do not keep.
  const perDay = (g: Grains): Grains => ({ ...g, total: undefined });
  const [clicks, conversions] =
    by === 'day' || by === 'hour'
      ? [perDay(FUNNEL_CLICKS), perDay(FUNNEL_CONVERSIONS)]
      : by === 'campaign' || by === 'partner'
      ? [FUNNEL_CLICKS, FUNNEL_CONVERSIONS]
      : [dimensionGrains('clicks', DIMENSION_COLUMN[by]), dimensionGrains('conversions', DIMENSION_COLUMN[by])];
  return [
    { text: `select ${key} as key, sum(clicks) as clicks, sum(qualified_clicks) as qualified from ${source(clicks, 'clicks', cp)} s group by 1 having sum(clicks) <> 0`, values: cp.values },
    {
      text: `select ${key} as key, currency, sum(conversions) as conversions, coalesce(sum(value), 0) as value, currency = ${rc} as reporting
               from ${source(conversions, 'conversions', vp)} s group by 1, 2 having sum(conversions) <> 0`,
      values: vp.values,
    },
  ];
}

type ClickKeyRow = { key: string; clicks: number; qualified: number };
type ConversionKeyRow = { key: string; conversions: number; currency: string | null; value: Numeric; reporting: boolean | null };

/** One row per key that has clicks or conversions: click counts, then every currency's conversions added. */
export function mergeGroupRows(clicks: ClickKeyRow[], convs: ConversionKeyRow[]): GroupRow[] {
  const rows = new Map<string, GroupRow>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = emptyGroupRow(key)));
    return r;
  };
  for (const r of clicks) {
    const x = row(r.key);
    x.clicks += r.clicks;
    x.qualifiedClicks += r.qualified;
  }
  for (const r of convs) addConversions(row(r.key), r);
  return [...rows.values()];
}

/** Rows for every key with clicks or conversions; by clicks descending (day and hour: chronological). */
export async function computeGroupBy(pg: Queryable, by: GroupBy, q: GroupQuery): Promise<GroupRow[]> {
  // By partner, each handover is a part of the statement: a few hundred per statement keep a handle
  // with thousands within PostgreSQL's parameter limit (the campaigns without one come with the first).
  const spans = q.spans ?? [];
  const batches = Array.from({ length: Math.max(1, Math.ceil(spans.length / SPANS_PER_STATEMENT)) }, (_, i) => ({ from: i * SPANS_PER_STATEMENT, to: (i + 1) * SPANS_PER_STATEMENT }));
  // Statements whose text follows the spans are not prepared: their texts would pile up on every connection.
  const prepared = !spans.length && !(isPartnerSet(q.campaigns) && q.campaigns.spans?.length);
  const results = await queryAll(pg, batches.flatMap((batch) => statements(by, q, batch)).map((s) => (prepared ? { ...s, name: statementName(s.text) } : s)));
  const out = mergeGroupRows(results.filter((_, i) => i % 2 === 0).flatMap((r) => r.rows), results.filter((_, i) => i % 2 === 1).flatMap((r) => r.rows));
  return by === 'day' || by === 'hour'
    ? out.sort((a, b) => a.key.localeCompare(b.key))
    : out.sort((a, b) => b.clicks - a.clicks || a.key.localeCompare(b.key));
}
