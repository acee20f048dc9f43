// Time windows over hourly rollups: the instants asked for; whole UTC days read the day tables, whole hours the
// hour tables, and the partial hours at a window's ends the raw rows.
import type { Params } from '../db/params.ts';
import { DIMENSIONS, type Dimension } from './rollup-sql.ts';
import { invalidRequest } from '../http/errors.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Window {
  /** Inclusive, an exact instant (exact-window.ts); undefined = since the beginning. */
  from?: Date;
  /** Exclusive, an exact instant; undefined = up to now. */
  to?: Date;
}

/**
 * Which campaigns a query covers: explicit ids, or every campaign of the handle (archived ones only
 * if asked; `exclude` leaves some out), or a partner's campaigns (one of them with `campaignId`,
 * archived or not).
 */
export type CampaignSet = string[] | { includeArchived: boolean; exclude?: string[] } | PartnerCampaigns | { archived: true };

/**
 * A time a partner held a campaign that changed partner: [from, to), exact instants (unbounded when
 * absent). Clicks and conversions count for whoever held the campaign when they happened.
 */
export interface CampaignSpan {
  campaignId: string;
  from?: Date;
  to?: Date;
}

export interface PartnerCampaigns {
  partnerId: string;
  /** Only these of the partner's campaigns (archived or not). */
  campaignIds?: string[];
  includeArchived: boolean;
  /**
   * The partner's times on campaigns that changed partner, each read over its own time (hourly
   * rollups inside it, raw rows in its first and last partial hours). `current`: the partner holds
   * the campaign now, which the query checks again (one handed over in between is never counted whole).
   */
  spans?: Array<CampaignSpan & { current: boolean }>;
  /** Left out here (the `spans` campaigns are read apart). */
  exclude?: string[];
}

/** The first hour boundary at or after `t`. */
const ceilHour = (t: Date) => new Date(Math.ceil(t.getTime() / HOUR) * HOUR);
const floorHour = (t: Date) => new Date(Math.floor(t.getTime() / HOUR) * HOUR);

/**
 * A condition on `column` for a campaign set; the "every campaign" and partner forms need no prior
 * lookup, so a partner's numbers are selected by the query itself, never filtered out afterwards.
 */
export function campaignFilter(set: CampaignSet, handle: string, bind: (v: unknown) => string, column = 'campaign_id'): string {
  if (Array.isArray(set)) return `${column} = any(${bind(set)}::text[])`;
  if ('archived' in set) return `${column} in (select campaign_id from campaigns where handle = ${handle} and status = 'ARCHIVED')`;
  const partner = 'partnerId' in set
    ? ` and partner_id = ${bind(set.partnerId)}` + (set.campaignIds ? ` and campaign_id = any(${bind(set.campaignIds)}::text[])` : '')
    : '';
  const exclude = set.exclude?.length ? ` and campaign_id <> all(${bind(set.exclude)}::text[])` : '';
  const archived = set.includeArchived || ('campaignIds' in set && set.campaignIds !== undefined);
  return `${column} in (select campaign_id from campaigns where handle = ${handle}${partner}${exclude}${archived ? '' : ` and status <> 'ARCHIVED'`})`;
}

export interface SourceFilter {
  handle: string;
  campaigns: CampaignSet;
  window: Window;
  /** Rows keyed by their `hour` (groupBy=hour), read from the hour table alone; else by `day`. */
  hourly?: boolean;
  /**
   * Edge hours without an hour table are raw rows alone, never their whole day's row (a handover's
   * span: that day is also the other holder's), so raw clicks dropped by retention count for nobody.
   */
  exact?: boolean;
}

/** groupBy=hour reads one rollup row per campaign and hour: its window is capped at this span. */
export const HOURLY_MAX_DAYS = 31;

/** 400 unless the window of an hourly breakdown has a start and spans at most HOURLY_MAX_DAYS (`to` defaults to now). */
export function checkHourlySpan(w: Window, now = Date.now()) {
  const why = `groupBy=hour covers at most ${HOURLY_MAX_DAYS} days: give \`from\` (and \`to\`, else now) at most ${HOURLY_MAX_DAYS} days apart, or use groupBy=day.`;
  if (!w.from) throw invalidRequest(why, [{ pointer: '/query/from', message: 'is required with groupBy=hour' }]);
  if ((w.to?.getTime() ?? now) - w.from.getTime() > HOURLY_MAX_DAYS * DAY) {
    throw invalidRequest(why, [{ pointer: '/query/from', message: `must be at most ${HOURLY_MAX_DAYS} days before to with groupBy=hour` }]);
  }
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Where a measure lives at each grain: a per-day table and the hourly table it is kept in step with. */
export interface Grains {
  /** All-time totals (no `day`): enough when the window is unbounded and no per-day key is asked for. */
  total?: { table: string; columns: string };
  days: { table: string; columns: string; where?: string };
  /** The hourly table; without one, edge hours are raw rows. */
  hours?: { table: string; columns: string; where?: string };
  /** Raw rows (one per click or conversion, `time` their time column), indexed by handle, campaign and time. */
  raw?: { table: string; columns: string; time: string };
  /**
   * The same for the whole handle (no campaign; `where` picks the dimension): read when the set is
   * every campaign, minus the ARCHIVED campaigns' rows (`negated`: the campaign columns, negated)
   * unless they are included. Without `hours`, edge hours are read per campaign.
   */
  handle?: { days: string; hours?: string; columns: string; negated: string; where: string };
}

const isWholeHandle = (set: CampaignSet): set is { includeArchived: boolean } =>
  !Array.isArray(set) && 'includeArchived' in set && !('partnerId' in set) && !set.exclude?.length;

const CLICK_COLUMNS = 'campaign_id, clicks, qualified_clicks';
const CONVERSION_COLUMNS = 'campaign_id, currency, conversions, verified_conversions, value';
// The funnel tables also count conversions without a merchant token (the dimension tables do not).
const FUNNEL_CONVERSION_COLUMNS = `${CONVERSION_COLUMNS}, unauthenticated_conversions`;

// A conversion without a currency was rolled up under the handle's reporting currency: a raw conversions row's currency as
// the rollups have it (every view that reads raw conversions beside rollups counts it so).
export const RAW_CONVERSION_CURRENCY = 'coalesce(currency, (select t.reporting_currency from tenants t where t.handle = conversions.handle))';

// One raw click or conversion as a row of the funnel tables (a handover's partial hours read these).
const RAW_CLICK = { table: 'clicks', time: 'occurred_at', columns: 'campaign_id, 1::bigint as clicks, (not is_bot)::int::bigint as qualified_clicks' };
const RAW_CONVERSION_COLUMNS = `campaign_id, ${RAW_CONVERSION_CURRENCY} as currency, 1::bigint as conversions,
  verified::int::bigint as verified_conversions, coalesce(value, 0) as value`;

export const FUNNEL_CLICKS: Grains = {
  total: { table: 'funnel_click_totals', columns: CLICK_COLUMNS },
  days: { table: 'funnel_click_days', columns: CLICK_COLUMNS },
  hours: { table: 'click_rollups', columns: CLICK_COLUMNS },
  raw: RAW_CLICK,
};
// Conversions per campaign by hour (funnel_conversion_hours), by day (conversion_rollups) and all time.
export const FUNNEL_CONVERSIONS: Grains = {
  total: { table: 'funnel_conversion_totals', columns: FUNNEL_CONVERSION_COLUMNS },
  days: { table: 'conversion_rollups', columns: FUNNEL_CONVERSION_COLUMNS },
  hours: { table: 'funnel_conversion_hours', columns: FUNNEL_CONVERSION_COLUMNS },
  raw: { table: 'conversions', time: 'created_at', columns: `${RAW_CONVERSION_COLUMNS}, (not authenticated)::int::bigint as unauthenticated_conversions` },
};

/** Clicks or conversions keyed by one visitor dimension (a `key` column), per day, per recent hour, and raw. */
export function dimensionGrains(kind: 'clicks' | 'conversions', dimension: Dimension): Grains {
  const cols = kind === 'clicks' ? CLICK_COLUMNS : CONVERSION_COLUMNS;
  // A literal from a fixed list (a parameter would be left unbound when only raw rows are read).
  if (!DIMENSIONS.includes(dimension)) throw new Error(`unknown dimension ${dimension}`);
  const where = `dimension = '${dimension}'`;
  if (kind === 'clicks') {
    return {
      days: { table: 'analytics_dimension_days', columns: `key, ${cols}`, where },
      handle: {
        days: 'analytics_handle_dimension_days', hours: 'analytics_handle_dimension_hours', where,
        columns: `key, ''::text as campaign_id, clicks, qualified_clicks`, negated: 'key, campaign_id, -clicks as clicks, -qualified_clicks as qualified_clicks',
      },
      raw: { ...RAW_CLICK, columns: `${dimension}::text as key, ${RAW_CLICK.columns}` },
    };
  }
  return {
    days: { table: 'analytics_dimension_conversion_days', columns: `key, ${cols}`, where },
    handle: {
      days: 'analytics_handle_dimension_conversion_days', where,
      columns: `key, ''::text as campaign_id, currency, conversions, verified_conversions, value`,
      negated: 'key, campaign_id, currency, -conversions as conversions, -verified_conversions as verified_conversions, -value as value',
    },
    raw: { table: 'conversions', time: 'created_at', columns: `${dimension}::text as key, ${RAW_CONVERSION_COLUMNS}` },
  };
}

/**
 * Rows of a measure restricted to a window, with their UTC `day`: whole days from the day table,
 * partial days at either edge from the hour table (all time: the totals table, if any). Cost:
 * campaigns × (days + 48 hours) × keys; a dimension's edge hours are raw rows of those campaigns
 * (indexed by handle, campaign and time), except handle-wide (whole-handle hourly rows).
 * `hourly`: every row from the hour table, with its `hour` (campaigns × hours × keys, hence the span cap).
 */
export function windowSource(g: Grains, f: SourceFilter, p: Params): string {
  const set = f.campaigns;
  if (!Array.isArray(set) && 'partnerId' in set && set.spans?.length) {
    const { spans, ...rest } = set;
    const parts = [windowSource(g, { ...f, campaigns: { ...rest, exclude: [...new Set(spans.map((s) => s.campaignId))] } }, p)];
    for (const s of spans) {
      const part = spanSource(g, { ...f, campaigns: s.current ? { ...rest, campaignIds: [s.campaignId] } : [s.campaignId] }, s, p);
      if (part) parts.push(part);
    }
    return parts.map((s) => `(${s})`).join(' union all ');
  }
  if (!onHours(f.window.from) || !onHours(f.window.to)) return exactWindowSource(g, f, p);
  if (g.handle && isWholeHandle(set)) return handleWindowSource(g, g.handle, f, set.includeArchived, p);
  const handle = p.add(f.handle);
  const where = `handle = ${handle} and ${campaignFilter(f.campaigns, handle, (v) => p.add(v))}`;
  const from = f.window.from?.getTime();
  const to = f.window.to?.getTime();
  if (f.hourly) {
    const within = (column: string) =>
      (from !== undefined ? ` and ${column} >= ${p.add(new Date(from))}` : '') + (to !== undefined ? ` and ${column} < ${p.add(new Date(to))}` : '');
    if (!g.hours) throw new Error('hourly rows are read from an hour table');
    return `select ${g.hours.columns}, hour from ${g.hours.table} where ${where}${g.hours.where ? ` and ${g.hours.where}` : ''}${within('hour')}`;
  }
  if (g.total && from === undefined && to === undefined) return `select ${g.total.columns}, null::date as day from ${g.total.table} where ${where}`;
  const firstDay = from === undefined ? undefined : Math.ceil(from / DAY) * DAY;
  const endDay = to === undefined ? undefined : Math.floor(to / DAY) * DAY;
  const hours = (a: number, b: number) => {
    if (g.hours) {
      return `select ${g.hours.columns}, (hour at time zone 'UTC')::date as day from ${g.hours.table}
        where ${where}${g.hours.where ? ` and ${g.hours.where}` : ''} and hour >= ${p.add(new Date(a))} and hour < ${p.add(new Date(b))}`;
    }
    const rawBetween = (x: number, y: number) => rawRows(g, where, new Date(x), new Date(y), false, p);
    if (g.raw!.table !== 'clicks' || f.exact) return rawBetween(a, b);
    // Raw clicks of a month dropped by CLICK_RETENTION_DAYS are gone: an edge inside a dropped day
    // counts that whole day from the day table (day-precise there, as documented), never 0.
    const dropped = `${p.add(new Date(a))} < coalesce((select kept_from from click_retention), '-infinity')`;
    const dayRows = (range: string) => `select ${g.days.columns}, day from ${g.days.table} where ${where}${g.days.where ? ` and ${g.days.where}` : ''} and ${range}`;
    const dayStart = Math.floor(a / DAY) * DAY;
    const dayEnd = dayStart + DAY;
    if (b <= dayEnd && g.handle && a - dayStart + (dayEnd - b) < b - a) {
      // An edge that is most of its day (the first day of "the last 24 hours" at 04:00: 20 hours) is
      // cheaper as that day's row minus the raw clicks of the rest of the day (4 hours; none yet after
      // now): the day row is written by the same statement as the raw rows it sums. Clicks only: a
      // conversion's raw currency can differ from its rollup's, and conversions are few.
      const parts = [dayRows(`day = ${p.add(isoDay(dayStart))}::date`)];
      if (a > dayStart) parts.push(`select ${g.handle.negated}, day from (${rawBetween(dayStart, a)} and not (${dropped})) before_edge`);
      if (b < dayEnd) parts.push(`select ${g.handle.negated}, day from (${rawBetween(b, dayEnd)} and not (${dropped})) after_edge`);
      return parts.map((x) => `(${x})`).join(' union all ');
    }
    return `(${rawBetween(a, b)} and not (${dropped})) union all
      (${dayRows(`day between ${p.add(isoDay(a))}::date and ${p.add(isoDay(b - 1))}::date and ${dropped}`)})`;
  };
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

/** The part of a span inside a window (bounds absent: unbounded), or undefined when they do not meet. */
export function spanWithin(w: Window, span: Pick<CampaignSpan, 'from' | 'to'>): Window | undefined {
  const from = !w.from ? span.from : !span.from || w.from > span.from ? w.from : span.from;
  const to = !w.to ? span.to : !span.to || w.to < span.to ? w.to : span.to;
  return from && to && from >= to ? undefined : { from, to };
}

/** Raw rows of a measure between two instants, keyed by their `day` (or `hour`). */
function rawRows(g: Grains, where: string, from: Date, to: Date, hourly: boolean | undefined, p: Params): string {
  if (!g.raw) throw new Error('these rows have no raw form');
  const { table, time, columns } = g.raw;
  const bucket = hourly ? `date_trunc('hour', ${time}, 'UTC') as hour` : `(${time} at time zone 'UTC')::date as day`;
  return `select ${columns}, ${bucket} from ${table} where ${where} and ${time} >= ${p.add(from)} and ${time} < ${p.add(to)}`;
}

/**
 * A span's rows within the window: whole hours as windowSource reads them, the partial hours at its
 * ends from raw rows (whose time picks the holder exactly). Raw clicks dropped by
 * CLICK_RETENTION_DAYS are gone: a handover's partial hours that old count for neither side.
 * Undefined when the span and the window do not meet.
 */
export function spanSource(g: Grains, f: SourceFilter, span: CampaignSpan, p: Params): string | undefined {
  const within = spanWithin(f.window, span);
  return within && partialHours(g, { ...f, exact: true }, within, p);
}

const onHours = (t: Date | undefined) => t === undefined || t.getTime() % HOUR === 0;

/**
 * Rows within [from, to) when an end falls inside an hour: the whole hours between from the rollups
 * (windowSource), each partial hour from raw rows. Clicks whose raw rows CLICK_RETENTION_DAYS dropped: the
 * first partial hour decides, in SQL (a one-time filter), by the retention's `kept_from`; dropped, that end
 * is read from the whole hour around it (hour-precise where rollups are hourly, day-precise where daily),
 * never as 0, and the other end decides again. A handover's span (`exact`) keeps its partial hours raw
 * (those hours are also the other holder's).
 */
function exactWindowSource(g: Grains, f: SourceFilter, p: Params): string {
  const { from, to } = f.window;
  const exact = partialHours(g, f, f.window, p);
  if (f.exact || g.raw?.table !== 'clicks') return exact;
  const fromPartial = from !== undefined && !onHours(from);
  const edge = fromPartial ? floorHour(from) : floorHour(to!);
  const wholeHour = windowSource(g, { ...f, window: fromPartial ? { from: floorHour(from), to } : { from, to: ceilHour(to!) } }, p);
  const dropped = `${p.add(edge)} < coalesce((select kept_from from click_retention), '-infinity')`;
  return `(select * from (${exact}) exact_window where not (${dropped})) union all (select * from (${wholeHour}) whole_hour where ${dropped})`;
}

/** The whole hours inside [from, to) from windowSource, the partial hours at its ends from raw rows. */
function partialHours(g: Grains, f: SourceFilter, { from, to }: Window, p: Params): string {
  const inner = { from: from && ceilHour(from), to: to && floorHour(to) };
  const raw = (a: Date, b: Date) => {
    const handle = p.add(f.handle);
    return rawRows(g, `handle = ${handle} and ${campaignFilter(f.campaigns, handle, (v) => p.add(v))}`, a, b, f.hourly, p);
  };
  if (inner.from && inner.to && inner.from >= inner.to) return raw(from!, to!);
  const parts = [windowSource(g, { ...f, window: inner }, p)];
  if (from && from < inner.from!) parts.push(raw(from, inner.from!));
  if (to && inner.to! < to) parts.push(raw(inner.to!, to));
  return parts.map((s) => `(${s})`).join(' union all ');
}

const bounds = (column: string, from: string | undefined, to: string | undefined) => (from ? ` and ${column} >= ${from}` : '') + (to ? ` and ${column} < ${to}` : '');

/**
 * Every campaign's rows from the whole-handle tables: whole days from the day table, edge hours from
 * the hour table (or per campaign without one), minus what ARCHIVED campaigns add to those tables.
 */
function handleWindowSource(g: Grains, h: NonNullable<Grains['handle']>, f: SourceFilter, includeArchived: boolean, p: Params): string {
  const perCampaign: Grains = { ...g, handle: undefined };
  const from = f.window.from?.getTime();
  const to = f.window.to?.getTime();
  const firstDay = from === undefined ? undefined : Math.ceil(from / DAY) * DAY;
  const endDay = to === undefined ? undefined : Math.floor(to / DAY) * DAY;
  let bound: string | undefined; // bound on first use: an unused parameter would have no type
  const handle = () => (bound ??= p.add(f.handle));
  const parts: string[] = [];
  const oneDay = from !== undefined && to !== undefined && firstDay! >= endDay!;
  if (!oneDay) {
    const range = bounds('day', firstDay === undefined ? undefined : `${p.add(isoDay(firstDay))}::date`, endDay === undefined ? undefined : `${p.add(isoDay(endDay))}::date`);
    parts.push(`select ${h.columns}, day from ${h.days} where handle = ${handle()} and ${h.where}${range}`);
  }
  const edges: Array<[number, number]> = oneDay ? [[from!, to!]] : [];
  if (!oneDay && from !== undefined && from < firstDay!) edges.push([from, firstDay!]);
  if (!oneDay && to !== undefined && endDay! < to) edges.push([endDay!, to]);
  for (const [a, b] of edges) {
    parts.push(h.hours
      ? `select ${h.columns}, (hour at time zone 'UTC')::date as day from ${h.hours}
          where handle = ${handle()} and ${h.where} and hour >= ${p.add(new Date(a))} and hour < ${p.add(new Date(b))}`
      : windowSource(perCampaign, { ...f, campaigns: { includeArchived }, window: { from: new Date(a), to: new Date(b) } }, p));
  }
  if (!includeArchived) {
    // What the archived campaigns put into the parts read from whole-handle tables.
    const covered: Window = h.hours ? f.window : { from: firstDay === undefined ? undefined : new Date(firstDay), to: endDay === undefined ? undefined : new Date(endDay) };
    if (h.hours || !oneDay) {
      parts.push(`select ${h.negated}, day from (${windowSource(perCampaign, { ...f, campaigns: { archived: true }, window: covered }, p)}) archived`);
    }
  }
  return parts.map((s) => `(${s})`).join(' union all ');
}
