// Breakdowns: visitor dimensions read the per-day dimension tables (hourly rollups at window edges),
// day, campaign and partner the funnel tables.
import type { Pool } from 'pg';
import { round2, statementName } from './funnel.ts';
import { Params } from '../db/params.ts';
import type { Dimension } from './rollup-sql.ts';
import { dimensionGrains, FUNNEL_CLICKS, FUNNEL_CONVERSIONS, windowSource, type CampaignSet, type Grains, type Window } from './range.ts';

export const GROUP_BY = ['country', 'segment', 'referrer', 'source', 'browser', 'os', 'day', 'hour', 'campaign', 'partner'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface GroupRow {
  key: string;
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  revenue: number;
  /** As in funnel rows: every currency's value, so that no currency is dropped from a breakdown. */
  revenueByCurrency: Record<string, number>;
}

export const emptyGroupRow = (key: string): GroupRow => ({ key, clicks: 0, qualifiedClicks: 0, conversions: 0, revenue: 0, revenueByCurrency: {} });

/** One (key, currency) conversion sum into its row: PostgreSQL summed the values, JS only places them. */
export function addConversions(row: GroupRow, r: { conversions: number; currency: string | null; value: number; reporting: boolean | null }) {
  row.conversions += r.conversions;
  if (r.currency === null) return;
  row.revenueByCurrency[r.currency] = round2(r.value);
  if (r.reporting) row.revenue = round2(r.value);
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

export interface GroupQuery {
  handle: string;
  campaigns: CampaignSet;
  window: Window;
}

// A key whose rows net to nothing (whole-handle rows minus an archived campaign's) is no row.
function statements(by: GroupBy, q: GroupQuery): Array<{ text: string; values: unknown[] }> {
  const cp = new Params();
  const vp = new Params();
  const rc = `(select reporting_currency from tenants where handle = ${vp.add(q.handle)})`;
  const filter = { handle: q.handle, campaigns: q.campaigns, window: q.window, hourly: by === 'hour' };
  // A campaign's numbers count for the partner it has now; campaigns without one share the key "".
  const partnerOf = (p: Params) => `coalesce((select c.partner_id from campaigns c where c.handle = ${p.add(q.handle)} and c.campaign_id = s.campaign_id), '')`;
  const key = (p: Params) => (by === 'day' ? 'day::text' : by === 'hour' ? HOUR_KEY : by === 'campaign' ? 'campaign_id' : by === 'partner' ? partnerOf(p) : 'key');
  // By partner: rows summed per campaign first, so the partner is looked up once per campaign, not per row.
  const perCampaign = (source: string, kind: 'clicks' | 'conversions') => by !== 'partner'
    ? `(${source})`
    : kind === 'clicks'
    ? `(select campaign_id, sum(clicks) as clicks, sum(qualified_clicks) as qualified_clicks from (${source}) r group by 1)`
    : `(select campaign_id, currency, sum(conversions) as conversions, sum(value) as value from (${source}) r group by 1, 2)`;
  // groupBy=day and hour need the day (hour) of each row, which all-time totals do not keep.
  const perDay = (g: Grains): Grains => ({ ...g, total: undefined });
  const [clicks, conversions] =
    by === 'day' || by === 'hour'
      ? [perDay(FUNNEL_CLICKS), perDay(FUNNEL_CONVERSIONS)]
      : by === 'campaign' || by === 'partner'
      ? [FUNNEL_CLICKS, FUNNEL_CONVERSIONS]
      : [dimensionGrains('clicks', DIMENSION_COLUMN[by]), dimensionGrains('conversions', DIMENSION_COLUMN[by])];
  return [
    { text: `select ${key(cp)} as key, sum(clicks) as clicks, sum(qualified_clicks) as qualified from ${perCampaign(windowSource(clicks, filter, cp), 'clicks')} s group by 1 having sum(clicks) <> 0`, values: cp.values },
    {
      text: `select ${key(vp)} as key, currency, sum(conversions) as conversions, coalesce(sum(value), 0) as value, currency = ${rc} as reporting
               from ${perCampaign(windowSource(conversions, filter, vp), 'conversions')} s group by 1, 2 having sum(conversions) <> 0`,
      values: vp.values,
    },
  ];
}

type ClickKeyRow = { key: string; clicks: number; qualified: number };
type ConversionKeyRow = { key: string; conversions: number; currency: string | null; value: number; reporting: boolean | null };

/** One row per key that has clicks or conversions: click counts, then every currency's conversions added. */
export function mergeGroupRows(clicks: ClickKeyRow[], convs: ConversionKeyRow[]): GroupRow[] {
  const rows = new Map<string, GroupRow>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = emptyGroupRow(key)));
    return r;
  };
  for (const r of clicks) Object.assign(row(r.key), { clicks: r.clicks, qualifiedClicks: r.qualified });
  for (const r of convs) addConversions(row(r.key), r);
  return [...rows.values()];
}

/** Rows for every key with clicks or conversions; by clicks descending (day and hour: chronological). */
export async function computeGroupBy(pg: Pool, by: GroupBy, q: GroupQuery): Promise<GroupRow[]> {
  const [clickSql, convSql] = statements(by, q);
  const [clicks, convs] = await Promise.all([clickSql, convSql].map((q) => pg.query({ ...q, name: statementName(q.text) })));
  const out = mergeGroupRows(clicks.rows, convs.rows);
  return by === 'day' || by === 'hour'
    ? out.sort((a, b) => a.key.localeCompare(b.key))
    : out.sort((a, b) => b.clicks - a.clicks || a.key.localeCompare(b.key));
}
