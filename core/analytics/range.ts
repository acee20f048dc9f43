// Time windows over hourly rollups: from/to widen to whole hours, whole UTC days read the day tables.
import type { Params } from '../db/params.ts';
import { invalidRequest } from '../http/errors.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Window {
  /** Inclusive, floored to the hour; undefined = since the beginning. */
  from?: Date;
  /** Exclusive, ceiled to the hour; undefined = up to now. */
  to?: Date;
}

/** Rollup buckets are hours: a bucket counts when it starts at/after floor(from) and before `to`. */
export function hourWindow(from?: string, to?: string): Window {
  const f = from ? new Date(Math.floor(Date.parse(from) / HOUR) * HOUR) : undefined;
  const t = to ? new Date(Math.ceil(Date.parse(to) / HOUR) * HOUR) : undefined;
  if (from && to && Date.parse(from) >= Date.parse(to)) {
    throw invalidRequest('`from` must be before `to`.', [{ pointer: '/query/from', message: 'must be before to' }]);
  }
  return { from: f, to: t };
}

/** Which campaigns a query covers: explicit ids, or every campaign of the handle (archived ones only if asked). */
export type CampaignSet = string[] | { includeArchived: boolean };

/** A condition on `column` for a campaign set; the "every campaign" form needs no prior lookup. */
export function campaignFilter(set: CampaignSet, handle: string, bind: (v: unknown) => string, column = 'campaign_id'): string {
  if (Array.isArray(set)) return `${column} = any(${bind(set)}::text[])`;
  return `${column} in (select campaign_id from campaigns where handle = ${handle}${set.includeArchived ? '' : ` and status <> 'ARCHIVED'`})`;
}

export interface SourceFilter {
  handle: string;
  campaigns: CampaignSet;
  window: Window;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Where a measure lives at each grain: a per-day table and the hourly table it is kept in step with. */
export interface Grains {
  /** All-time totals (no `day`): enough when the window is unbounded and no per-day key is asked for. */
  total?: { table: string; columns: string };
  days: { table: string; columns: string; where?: string };
  hours: { table: string; columns: string; where?: string };
}

const CLICK_COLUMNS = 'campaign_id, clicks, qualified_clicks';
const CONVERSION_COLUMNS = 'campaign_id, currency, conversions, verified_conversions, value';
// The funnel tables also count conversions without a merchant token (the dimension tables do not).
const FUNNEL_CONVERSION_COLUMNS = `${CONVERSION_COLUMNS}, unauthenticated_conversions`;

export const FUNNEL_CLICKS: Grains = {
  total: { table: 'funnel_click_totals', columns: CLICK_COLUMNS },
  days: { table: 'funnel_click_days', columns: CLICK_COLUMNS },
  hours: { table: 'funnel_click_hours', columns: CLICK_COLUMNS },
};
export const FUNNEL_CONVERSIONS: Grains = {
  total: { table: 'funnel_conversion_totals', columns: FUNNEL_CONVERSION_COLUMNS },
  days: { table: 'funnel_conversion_days', columns: FUNNEL_CONVERSION_COLUMNS },
  hours: { table: 'funnel_conversion_hours', columns: FUNNEL_CONVERSION_COLUMNS },
};

/** Clicks or conversions keyed by one visitor dimension (a `key` column), per day and per hour. */
export function dimensionGrains(kind: 'clicks' | 'conversions', dimension: 'country' | 'segment' | 'source', p: Params): Grains {
  const cols = kind === 'clicks' ? CLICK_COLUMNS : CONVERSION_COLUMNS;
  const dim = p.add(dimension);
  return {
    days: { table: kind === 'clicks' ? 'analytics_dimension_days' : 'analytics_dimension_conversion_days', columns: `key, ${cols}`, where: `dimension = ${dim}` },
    hours: { table: kind === 'clicks' ? 'click_rollups' : 'conversion_rollups', columns: `${dimension}::text as key, ${cols}` },
  };
}

/**
 * Rows of a measure restricted to a window, with their UTC `day`: whole days from the day table,
 * partial days at either edge from the hour table (all time: the totals table, if any). Cost:
 * campaigns × (days + 48 hours) × keys.
 */
export function windowSource(g: Grains, f: SourceFilter, p: Params): string {
  const handle = p.add(f.handle);
  const where = `handle = ${handle} and ${campaignFilter(f.campaigns, handle, (v) => p.add(v))}`;
  const from = f.window.from?.getTime();
  const to = f.window.to?.getTime();
  if (g.total && from === undefined && to === undefined) return `select ${g.total.columns}, null::date as day from ${g.total.table} where ${where}`;
  const firstDay = from === undefined ? undefined : Math.ceil(from / DAY) * DAY;
  const endDay = to === undefined ? undefined : Math.floor(to / DAY) * DAY;
  const hours = (a: number, b: number) =>
    `select ${g.hours.columns}, (hour at time zone 'UTC')::date as day from ${g.hours.table}
      where ${where}${g.hours.where ? ` and ${g.hours.where}` : ''} and hour >= ${p.add(new Date(a))} and hour < ${p.add(new Date(b))}`;
  if (from !== undefined && to !== undefined && firstDay! >= endDay!) return hours(from, to);

  const parts = [
    `select ${g.days.columns}, day from ${g.days.table} where ${where}${g.days.where ? ` and ${g.days.where}` : ''}` +
      (firstDay !== undefined ? ` and day >= ${p.add(isoDay(firstDay))}::date` : '') +
      (endDay !== undefined ? ` and day < ${p.add(isoDay(endDay))}::date` : ''),
  ];
  if (from !== undefined && from < firstDay!) parts.push(hours(from, firstDay!));
  if (to !== undefined && endDay! < to) parts.push(hours(endDay!, to));
  return parts.map((s) => `(${s})`).join(' union all ');
}
