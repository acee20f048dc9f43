import { invalidRequest } from './errors.ts';
import { instant } from './validate.ts';

/**
 * A client's time window (`from` inclusive, `to` exclusive) must hold at least an instant: an empty or
 * inverted one is a mistake to name (a 400), not a question whose answer is "nothing".
 */
export function checkWindowOrder(from?: string, to?: string): void {
  if (from && to && Date.parse(from) >= Date.parse(to)) {
    throw invalidRequest('`from` must be before `to`.', [{ pointer: '/query/from', message: 'must be before to' }]);
  }
}

const OFFSET_INSTANT = /^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(\.\d+)?(?:[Zz]|([+-])(\d\d):(\d\d))$/;

/**
 * An instant (as `instant` validates it) in UTC, its fraction kept digit for digit: PostgreSQL's timestamptz
 * refuses an offset beyond ±15:59, which RFC 3339 allows (up to ±23:59), so a list's bound goes to SQL as `Z`.
 */
export function utcInstant(value: string): string {
  const m = OFFSET_INSTANT.exec(value);
  if (!m) return value;
  const [, date, time, fraction = '', sign, hours, minutes] = m;
  const offsetMs = sign ? (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000 : 0;
  const utc = Date.parse(`${date}T${time}Z`) - offsetMs;
  return Number.isFinite(utc) ? `${new Date(utc).toISOString().slice(0, 19)}${fraction}Z` : value;
}

/** A list's window, checked for order (checkWindowOrder) and with its bounds in UTC (utcInstant), for SQL. */
export function listWindow(from?: string, to?: string): { from?: string; to?: string } {
  checkWindowOrder(from, to);
  return { from: from ? utcInstant(from) : undefined, to: to ? utcInstant(to) : undefined };
}

/** A list's `from`/`to` query parameters, as listWindow() reads them. */
export const WINDOW_QUERY = {
  from: { ...instant, description: 'Created at or after this time.' },
  to: { ...instant, description: 'Created before this time (exclusive); a `to` not after `from` is a 400.' },
} as const;
