// Parsers for option values; a bad value is a usage error (exit 2) naming the option.
import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/**
 * `--file`, `--metadata`, `--routing-rules` (`flag`): inline JSON, `@path/to/file.json`, or `-` for stdin's JSON. A file
 * name without its `@` (`--file camp.json`) was "not valid JSON (Unexpected token 'c')": say how to read the file.
 */
export function jsonArg(flag: string) {
  return (value: string): unknown => {
    const inline = value !== '-' && !value.startsWith('@');
    let text = value;
    if (value === '@') throw new InvalidArgumentError(`a file name goes after the @, e.g. ${flag} @campaign.json`);
    try {
      if (value === '-') text = readFileSync(0, 'utf8');
      else if (!inline) text = readFileSync(value.slice(1), 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`cannot read ${value.slice(1) || 'stdin'}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      if (inline && looksLikePath(value)) throw new InvalidArgumentError(`"${value}" is not JSON; to read a file write ${flag} @${value}`);
      throw new InvalidArgumentError(`not valid JSON (${(err as Error).message})`);
    }
  };
}

/** A value that is a file's name rather than JSON gone wrong: a file by that name, or a path or `.json` name that JSON does not start with. */
function looksLikePath(value: string): boolean {
  if (/^\s*[[{"]/.test(value)) return false;
  return existsSync(value) || /\.json$/i.test(value) || /[\\/]/.test(value);
}

/** `--currency usd` as the API takes it (ISO-4217 in upper case); anything else is left for the API to refuse. */
export const currencyArg = (value: string): string => value.trim().toUpperCase();

/**
 * A comma-separated option (--partners, --scopes, --events), repeatable: values trimmed, empties dropped. An empty
 * one is refused: `--partners "$IDS"` with an empty $IDS meant no filter, so a payout run paid every partner.
 */
export function listArg(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new InvalidArgumentError(`expected a comma-separated list, got "${value}"`);
  return [...previous, ...items];
}

export function intArg(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * ISO-8601 timestamp (or a date) accepted by the `from`/`to` filters. Date() alone took "2026-02-30"
 * as March 2 and "1" as 2001: a filter other than the one asked for, so only a real calendar date passes.
 */
export function timeArg(value: string): string {
  const day = ISO_TIME.exec(value.trim())?.[1];
  const t = new Date(value.trim());
  if (!day || Number.isNaN(t.getTime()) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new InvalidArgumentError(`expected an ISO-8601 time like 2026-02-25T00:00:00Z, got "${value}"`);
  }
  return t.toISOString();
}

/** Money as the API takes it: above 0, at most 2 fraction digits (a third is refused, never rounded away). */
export const moneyArg = decimalArg({ above: true });

/**
 * A decimal the API takes with at most 2 fraction digits (a conversion's --value, a --minimum-payout: 0 allowed; a
 * flat --amount and a --percent: above 0, --percent at most 100). A third digit or a minus was the API's 400 after
 * the round trip; here it is a usage error naming the rule.
 */
export function decimalArg({ above = false, max }: { above?: boolean; max?: number } = {}) {
  return (value: string): number => {
    const n = Number(value.trim());
    const bound = max === undefined ? '' : ` and at most ${max}`;
    if (!/^\d+(?:\.\d{1,2})?$/.test(value.trim()) || (above ? n <= 0 : n < 0) || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(`expected a number ${above ? 'above 0' : 'of 0 or more'}${bound}, with at most 2 decimals, like 12.50; got "${value}"`);
    }
    return n;
  };
}

/** An id the API takes as a UUID (tokens, webhooks, deliveries, commissions, payouts): a typo is a usage error here, not a 400 from the server. */
export function uuidArg(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new InvalidArgumentError(`expected an id like 0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77, got "${value}"`);
  return value;
}

/**
 * A partner's or campaign's id (the API's `^[a-z0-9][a-z0-9-]{0,63}$`). Checked here because an empty one named the
 * list instead: `tenx partners get ''` printed the list as one partner of undefined fields, exit 0.
 */
export function slugIdArg(what: 'partner' | 'campaign') {
  return (value: string): string => {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(value)) {
      throw new InvalidArgumentError(`expected a ${what} id (lower-case letters, digits and dashes, e.g. ${what === 'partner' ? 'alpha-media' : 'partner-alpha'}), got "${value}"`);
    }
    return value;
  };
}

/** A conversion's id; the merchant's order id is not one (`conversions list --key` finds it). */
export function conversionIdArg(value: string): string {
  try {
    return uuidArg(value);
  } catch {
    const hint = value ? ` (by its order id: tenx conversions list --key ${value})` : '';
    throw new InvalidArgumentError(`expected a conversion id like 0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77, got "${value}"${hint}`);
  }
}

/** A payout's id, or its first characters (8 at least) as the dashboard shows it: resolved by payoutId() (payouts.ts). */
export function payoutIdArg(value: string): string {
  if (!/^[0-9a-f]{8}[0-9a-f-]{0,28}$/i.test(value)) {
    throw new InvalidArgumentError(`expected an id like 0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77, or its first 8 characters (0193c2a4), got "${value}"`);
  }
  return value.toLowerCase();
}

/** Several UUID ids (a variadic argument): each checked as uuidArg does. */
export function uuidListArg(value: string, previous: string[] = []): string[] {
  return [...previous, uuidArg(value)];
}

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `--to`: a time as given (exclusive), or a bare date (2026-12-06) as the end of that UTC day, the day included, as the
 * dashboard's date fields send it: `--from 2026-12-06 --to 2026-12-06` was "`from` must be before `to`", and
 * `--to 2026-12-06` left the 6th out of lists and exports without a word.
 */
export function toArg(value: string): string {
  const start = timeArg(value);
  if (!BARE_DATE.test(value.trim())) return start;
  return new Date(Date.parse(start) + 86_400_000).toISOString();
}

/** Edit distance of two short words (a scope, an event type): the nearest allowed one is offered for a typo. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/**
 * A comma-separated list (as listArg) whose items must be among `allowed`: a typo is a usage error (exit 2) naming it
 * and the nearest allowed value, before any request (`--scopes conversions.wrte` was the API's "must be one of 18
 * allowed values", exit 1, without saying which value).
 */
export function choiceListArg(allowed: readonly string[], what: string) {
  return (value: string, previous: string[] = []): string[] => {
    const items = listArg(value, previous);
    const unknown = items.find((item) => !allowed.includes(item));
    if (unknown !== undefined) {
      const nearest = [...allowed].sort((a, b) => distance(unknown, a) - distance(unknown, b))[0];
      const hint = nearest && distance(unknown, nearest) <= Math.max(2, Math.floor(unknown.length / 3)) ? `; did you mean "${nearest}"?` : '';
      throw new InvalidArgumentError(`unknown ${what} "${unknown}"${hint} (one of ${allowed.join(', ')})`);
    }
    return items;
  };
}
