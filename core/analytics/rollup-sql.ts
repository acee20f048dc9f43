// The rollups of a batch of new clicks or conversions, written by the batch's own statement (the
// click flush, the conversion claim): no row triggers, no cross-product table. Per campaign: hourly,
// daily and all-time sums (the funnel); per campaign and visitor dimension: daily sums (breakdowns of
// some campaigns or a partner's, whose edge hours are read from raw rows, core/analytics/range.ts);
// per dimension for the whole handle (no campaign: what handle-wide breakdowns read), daily and, for
// clicks, hourly. Each upsert runs in one fixed order of its keys (upsert's `order`), so
// two batches flushing at once lock shared rows in the same order.

/** The visitor dimensions kept in the dimension rollups (referrer is the source column). */
export const DIMENSIONS = ['country', 'segment', 'source', 'browser', 'os'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

interface Spec {
  /** Prefix of the CTE names (a statement may hold both kinds). */
  name: string;
  /** Hourly per campaign: groupBy=hour and the edge hours of hour-precise windows. */
  hours?: string;
  days: string;
  totals: string;
  dimensionDays: string;
  /** The same per dimension for the whole handle (no campaign): the handle-wide breakdowns read these. */
  handleDimensionDays: string;
  /** Hourly, kept for all time (clicks only: raw conversions are few enough for edge hours). */
  handleDimensionHours?: string;
  /** Keys besides handle, campaign and the bucket (conversions: the currency). */
  extraKeys: string[];
  /** Sums of the funnel tables, as `column: expression over the source rows`. */
  sums: Record<string, string>;
  /** The subset of `sums` the dimension tables keep. */
  dimensionSums: string[];
}

const CLICKS: Spec = {
  name: 'click_rollup',
  hours: 'click_rollups',
  days: 'funnel_click_days',
  totals: 'funnel_click_totals',
  dimensionDays: 'analytics_dimension_days',
  handleDimensionDays: 'analytics_handle_dimension_days',
  handleDimensionHours: 'analytics_handle_dimension_hours',
  extraKeys: [],
  sums: { clicks: 'count(*)', qualified_clicks: 'count(*) filter (where not is_bot)' },
  dimensionSums: ['clicks', 'qualified_clicks'],
};

const CONVERSIONS: Spec = {
  name: 'conversion_rollup',
  hours: 'funnel_conversion_hours',
  days: 'conversion_rollups',
  totals: 'funnel_conversion_totals',
  dimensionDays: 'analytics_dimension_conversion_days',
  handleDimensionDays: 'analytics_handle_dimension_conversion_days',
  extraKeys: ['currency'],
  sums: {
    conversions: 'count(*)',
    verified_conversions: 'count(*) filter (where verified)',
    unauthenticated_conversions: 'count(*) filter (where not authenticated)',
    value: 'coalesce(sum(value), 0)',
  },
  dimensionSums: ['conversions', 'verified_conversions', 'value'],
};

const seq = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from).join(', ');

/**
 * `keys` are the unique key's columns; `order`, the same columns in the order the rows are sorted and locked in: the key
 * that varies most within a batch first (most of a batch's rows share a handle, so it comes last), so most comparisons
 * end at the first key, which a sort keeps beside the row; every later key is read back out of the row. One fixed order
 * per table, in every process: two batches lock shared rows in the same order.
 */
function upsert(table: string, keys: string[], sums: string[], select: string, order: string[]): string {
  return `insert into ${table} as r (${[...keys, ...sums].join(', ')})
    ${select}
    order by ${order.join(', ')}
    on conflict (${keys.join(', ')}) do update set ${sums.map((s) => `${s} = r.${s} + excluded.${s}`).join(', ')}`;
}

/** The upsert of rows already summed by `keys` in the CTE `rows`. */
const upsertSummed = (table: string, keys: string[], sums: string[], rows: string, order: string[]) =>
  upsert(table, keys, sums, `select ${[...keys, ...sums].join(', ')} from ${rows}`, order);

/**
 * CTEs (each `name as (...)`, comma-separated, to follow a WITH's earlier CTEs) that fold the rows
 * of `source` into every rollup of the spec. `source` has handle, campaign_id, `at` (the time that
 * picks the hour), country, segment, source, browser, os and what the sums read.
 */
function rollupCtes(s: Spec, source: string): string {
  const extra = s.extraKeys;
  const sums = Object.keys(s.sums);
  const dims = s.dimensionSums;
  const sumOf = (cols: string[]) => cols.map((c) => `sum(${c}) as ${c}`).join(', ');
  const extras = extra.map((k) => `, ${k}`).join('');
  const day = `(hour at time zone 'UTC')::date`;
  const n = s.name;
  const ctes: Record<string, string> = {};
  // One row per (campaign, hour, extra keys, dimension values) of the batch: every later upsert sums these.
  const hourKeys = ['handle', 'campaign_id', 'hour', ...extra];
  ctes[`${n}_base`] = `select handle, campaign_id, date_trunc('hour', at, 'UTC') as hour${extras},
        country::text as country, segment, source, browser, os, ${Object.entries(s.sums).map(([c, e]) => `${e} as ${c}`).join(', ')}
      from ${source} group by ${seq(hourKeys.length + 5)}`;
  // Where the spec keeps hours, the base rows are summed by campaign hour once, and the days and totals are summed from
  // those few rows rather than sorted out of every base row again.
  let campaignRows = `${n}_base`;
  if (s.hours) {
    campaignRows = `${n}_hour_sums`;
    ctes[campaignRows] = `select ${hourKeys.join(', ')}, ${sumOf(sums)} from ${n}_base group by ${seq(hourKeys.length)}`;
    ctes[`${n}_hours`] = upsertSummed(s.hours, hourKeys, sums, campaignRows, ['campaign_id', 'hour', ...extra, 'handle']);
  }
  ctes[`${n}_days`] = upsert(s.days, ['handle', 'campaign_id', 'day', ...extra], sums,
    `select handle, campaign_id, ${day} as day${extras}, ${sumOf(sums)} from ${campaignRows} group by ${seq(3 + extra.length)}`,
    ['campaign_id', 'day', ...extra, 'handle']);
  ctes[`${n}_totals`] = upsert(s.totals, ['handle', 'campaign_id', ...extra], sums,
    `select handle, campaign_id${extras}, ${sumOf(sums)} from ${campaignRows} group by ${seq(2 + extra.length)}`,
    ['campaign_id', ...extra, 'handle']);
  // Each dimension's values, per campaign and day and (where the spec keeps them) per hour for the whole handle: one pass
  // over the base rows, a grouping set per dimension.
  const dimension = `case ${DIMENSIONS.map((d) => `when grouping(${d}) = 0 then '${d}'`).join(' ')} end`;
  const key = `case ${DIMENSIONS.map((d) => `when grouping(${d}) = 0 then ${d}`).join(' ')} end`;
  const sets = `grouping sets (${DIMENSIONS.map((d) => `(${d})`).join(', ')})`;
  const dayKeys = ['handle', 'dimension', 'campaign_id', 'day', 'key', ...extra];
  ctes[`${n}_dimension_day_sums`] = `select handle, ${dimension} as dimension, campaign_id, ${day} as day, ${key} as key${extras}, ${sumOf(dims)}
       from ${n}_base group by handle, campaign_id, ${day}${extras}, ${sets}`;
  ctes[`${n}_dimension_days`] = upsertSummed(s.dimensionDays, dayKeys, dims, `${n}_dimension_day_sums`, ['campaign_id', 'key', 'dimension', 'day', ...extra, 'handle']);
  // The handle-wide days: from its hour sums where the spec keeps them, else from the campaigns' day sums.
  let handleRows = `${n}_dimension_day_sums`;
  let handleDay = 'day';
  if (s.handleDimensionHours) {
    const keys = ['handle', 'dimension', 'hour', 'key', ...extra];
    handleRows = `${n}_handle_hour_sums`;
    handleDay = day;
    ctes[handleRows] = `select handle, ${dimension} as dimension, hour, ${key} as key${extras}, ${sumOf(dims)} from ${n}_base group by handle, hour${extras}, ${sets}`;
    ctes[`${n}_handle_dimension_hours`] = upsertSummed(s.handleDimensionHours, keys, dims, handleRows, ['key', 'dimension', 'hour', ...extra, 'handle']);
  }
  ctes[`${n}_handle_dimension_days`] = upsert(s.handleDimensionDays, ['handle', 'dimension', 'day', 'key', ...extra], dims,
    `select handle, dimension, ${handleDay} as day, key${extras}, ${sumOf(dims)} from ${handleRows} group by ${seq(4 + extra.length)}`,
    ['key', 'dimension', 'day', ...extra, 'handle']);
  return Object.entries(ctes).map(([name, sql]) => `${name} as (${sql})`).join(',\n');
}

/** Rollup CTEs of new clicks: `source` has handle, campaign_id, at, country, segment, source, browser, os, is_bot. */
export const clickRollupCtes = (source: string) => rollupCtes(CLICKS, source);

/**
 * Rollup CTEs of new conversions: `source` has handle, campaign_id, at, currency (the rollup's: never
 * null), country, segment, source, browser, os, verified, authenticated, value.
 */
export const conversionRollupCtes = (source: string) => rollupCtes(CONVERSIONS, source);

/** The same as the claim wrote them before migration 0021 (no hourly table): for tests that build a database of that version. */
export const conversionRollupCtesBefore0021 = (source: string) => rollupCtes({ ...CONVERSIONS, hours: undefined }, source);
