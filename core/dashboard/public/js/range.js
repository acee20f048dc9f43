// The period the analytics pages show: a preset or a custom span of whole UTC days, kept in the
// page's URL (#/funnel?range=7d, #/funnel?from=2026-11-01&to=2026-11-30) so a reload or a shared
// link shows the same numbers. Pure functions: no DOM, no clock unless given one.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The presets, in the order the picker shows them. `24h` is the hourly view (groupBy=hour). */
export const PRESETS = [
  { id: '24h', label: '24 h', title: 'Last 24 hours, by hour' },
  { id: '7d', label: '7 d', title: 'Last 7 days (today included)', days: 7 },
  { id: '30d', label: '30 d', title: 'Last 30 days (today included)', days: 30 },
  { id: '90d', label: '90 d', title: 'Last 90 days (today included)', days: 90 },
  { id: 'all', label: 'All time', title: 'Since the first click' },
];
export const DEFAULT_RANGE = { id: 'all' };

/** A custom range spanning at most this many days is plotted by hour (the API caps groupBy=hour at 31 days). */
const HOURLY_CUSTOM_MAX_DAYS = 2;

export const isoDay = (t) => new Date(t).toISOString().slice(0, 10);
const dayStart = (t) => Math.floor(t / DAY) * DAY;
const hourStart = (t) => Math.floor(t / HOUR) * HOUR;

/** A real calendar date as YYYY-MM-DD (2026-02-30 is not one), as epoch ms of its UTC midnight; else NaN. */
export function parseDay(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return NaN;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && isoDay(t) === s ? t : NaN;
}

/** Why a custom from/to pair cannot be shown, or null when it can. */
export function customRangeError(from, to) {
  if (Number.isNaN(parseDay(from))) return 'Choose a start date.';
  if (Number.isNaN(parseDay(to))) return 'Choose an end date.';
  if (parseDay(from) > parseDay(to)) return 'The start date must not be after the end date.';
  return null;
}

/** The range a URL names (its query string or URLSearchParams); anything unreadable gives the default. */
export function parseRange(params) {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? '');
  const from = q.get('from');
  const to = q.get('to');
  if (from !== null || to !== null) return customRangeError(from, to) ? DEFAULT_RANGE : { id: 'custom', from, to };
  const preset = PRESETS.find((p) => p.id === q.get('range'));
  return preset ? { id: preset.id } : DEFAULT_RANGE;
}

/** What goes in the URL for a range: `?range=7d`, `?from=…&to=…`, or nothing for the default. */
export function rangeSearch(range) {
  if (range.id === 'custom') return `?${new URLSearchParams({ from: range.from, to: range.to })}`;
  return range.id === DEFAULT_RANGE.id ? '' : `?${new URLSearchParams({ range: range.id })}`;
}

/** rangeSearch with a page's own choices beside the range (#/breakdowns?range=7d&campaignId=alpha); empty ones left out. */
export function searchWith(range, own) {
  const search = new URLSearchParams(rangeSearch(range));
  for (const [key, value] of Object.entries(own)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const sameRange = (a, b) => a.id === b.id && a.from === b.from && a.to === b.to;

/**
 * The API window of a range: `from`/`to` as ISO instants (either may be absent), the chart's grain
 * (`hour` or `day`) and a label. Day presets start at a UTC midnight, so the chart's first bar and
 * the tables cover the same span; 24 h starts at the hour 23 hours before the current one.
 */
export function rangeWindow(range, now = Date.now()) {
  if (range.id === '24h') {
    return { from: new Date(hourStart(now) - 23 * HOUR).toISOString(), grain: 'hour', label: 'last 24 hours, UTC' };
  }
  if (range.id === 'custom') {
    const from = parseDay(range.from);
    const end = parseDay(range.to) + DAY;
    const grain = end - from <= HOURLY_CUSTOM_MAX_DAYS * DAY ? 'hour' : 'day';
    const label = range.from === range.to ? `${range.from}, UTC` : `${range.from} to ${range.to}, UTC`;
    return { from: new Date(from).toISOString(), to: new Date(end).toISOString(), grain, label };
  }
  const preset = PRESETS.find((p) => p.id === range.id);
  if (preset?.days) {
    return { from: new Date(dayStart(now) - (preset.days - 1) * DAY).toISOString(), grain: 'day', label: `last ${preset.days} days, UTC` };
  }
  return { grain: 'day', label: 'all time, UTC' };
}

const bucketKey = (t, grain) => (grain === 'hour' ? `${new Date(t).toISOString().slice(0, 13)}:00:00Z` : isoDay(t));

/**
 * Every bucket of the window, the API's rows placed on theirs (0 elsewhere). Without a start (all
 * time) the span begins at the first row; it ends at `to` or now, or later if a row is later.
 */
export function fillBuckets(rows, win, now = Date.now()) {
  const grain = win.grain;
  const step = grain === 'hour' ? HOUR : DAY;
  const floor = grain === 'hour' ? hourStart : dayStart;
  const keyOf = (r) => (grain === 'hour' ? String(r.key) : String(r.key).slice(0, 10));
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  const times = [...byKey.keys()].map((k) => Date.parse(grain === 'hour' ? k : `${k}T00:00:00Z`)).filter(Number.isFinite);
  let end = floor(win.to ? Date.parse(win.to) - 1 : now);
  let start = win.from ? floor(Date.parse(win.from)) : times.length ? Math.min(...times) : end - 6 * step;
  if (times.length) {
    start = Math.min(start, Math.min(...times));
    end = Math.max(end, Math.max(...times));
  }
  const out = [];
  for (let t = start; t <= end; t += step) {
    const key = bucketKey(t, grain);
    const r = byKey.get(key);
    out.push({ key, clicks: r?.clicks ?? 0, qualifiedClicks: r?.qualifiedClicks ?? 0, conversions: r?.conversions ?? 0 });
  }
  return out;
}

/** A bucket's axis label: "14:00" for an hour, "11-26" for a day ("2025-11-26" when the span crosses a year). */
export function bucketLabel(key, grain, longSpan = false) {
  if (grain === 'hour') return key.slice(11, 16);
  return longSpan ? key : key.slice(5);
}
