import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../plugins/index.ts';
import { invalidRequest, type ErrorDetail } from './errors.ts';
import { escapePointer } from './storable.ts';
import { HANDLE_PATTERN } from './handle.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * A time-window bound given by a client (analytics, audit, notifications): a date-time (the format below: no leap
 * second, an offset RFC 3339 allows) in the years 1970-9998, so hour rounding and PostgreSQL's timestamptz never
 * meet a year 0 or 10000.
 */
export const instant = {
  type: 'string',
  format: 'date-time',
  pattern: '^(?:19[7-9]\\d|[2-8]\\d{3}|9[0-8]\\d{2}|99[0-8]\\d|999[0-8])-',
} as const;

/**
 * ajv-formats' `uuid` also takes `urn:uuid:…`, which PostgreSQL's uuid type refuses (22P02: a 500 on every id
 * route). An id here is the plain 8-4-4-4-12 form, the only one tenx ever returns.
 */
const UUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/**
 * ajv-formats' `date-time` also takes offsets RFC 3339 does not (`+05`, `+0500`) and a leap second (`23:59:60`);
 * Date.parse gives NaN for `+05` and for a leap second, and that Invalid Date reached PostgreSQL (token expiry) or
 * never ended an analytics window: a 500. A date-time here has RFC 3339's `Z` or `±hh:mm` and is an instant Date holds.
 */
const RFC3339_OFFSET = /(?:[Zz]|[+-]\d\d:\d\d)$/;
function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv).addFormat('uuid', UUID);
  const base = ajv.formats['date-time'] as { validate: (s: string) => boolean; compare?: (a: string, b: string) => number | undefined };
  return ajv.addFormat('date-time', {
    ...base,
    validate: (s: string) => base.validate(s) && RFC3339_OFFSET.test(s) && Number.isFinite(Date.parse(s)),
  });
}

/**
 * Two ajv instances: bodies are strict JSON; params and query strings are coerced to their types. `verbose`
 * keeps the refused value on each error (only on the error path), so an enum's message can suggest the value meant.
 */
export const bodyAjv = withFormats(new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true }));
export const queryAjv = withFormats(new Ajv({ allErrors: true, strict: false, coerceTypes: true, useDefaults: true, verbose: true }));

/** Absent or `{}`: what a body or settings object with nothing to say may be. */
export const isNothing = (value: unknown) =>
  value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);

export function compile(schema: JsonSchema, coerce: boolean): ValidateFunction {
  return (coerce ? queryAjv : bodyAjv).compile(schema);
}

/**
 * A name people read (a handle's, a partner's, a token's): some visible text, no control characters and no
 * bidirectional overrides or isolates, which reorder what the dashboard shows ("\u202Eahpla" reads as "alpha").
 * Other formatting characters stay allowed: ZWJ and ZWNJ belong to emoji and to scripts such as Persian.
 */
// A visible character: not a space, a format character (zero-width U+200B…), a lone combining mark, a Hangul filler or the blank
// braille pattern (names made of those alone read as empty: a helper pass created a token named U+200B).
export const NAME_PATTERN = '^(?=.*[^\\s\\p{Cf}\\p{Mn}\\p{Me}\\u115F\\u1160\\u3164\\uFFA0\\u2800])[^\\p{Cc}\\u202A-\\u202E\\u2066-\\u2069]*$';
export const displayName = { type: 'string', minLength: 1, maxLength: 200, pattern: NAME_PATTERN } as const;

const DATE_TIME = 'must be an RFC 3339 date-time in the years 1970-9998, e.g. 2026-12-04T00:00:00Z';

/** Patterns whose text would tell a client little: what they mean instead ("must match pattern …" for the rest). */
const PATTERNS_SAID = new Map([
  // It only narrows the years; its text is ~60 characters of regex.
  [instant.pattern, DATE_TIME],
  ['^[^\\p{C}]*$', 'must not contain control or invisible formatting characters'],
  ['^[^\\p{Cc}]*$', 'must not contain control characters'],
  [NAME_PATTERN, 'must contain a visible character, and no control or bidirectional-override characters'],
  // Ids (campaign, partner, reward, token) and slugs: the rule in words, not the regex a dashboard user was shown.
  ['^[a-z0-9][a-z0-9-]{0,63}$', 'must be 1 to 64 lower-case letters, digits or hyphens, starting with a letter or digit'],
  ['^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', 'must be 1 to 64 letters, digits, hyphens or underscores, starting with a letter or digit'],
  [HANDLE_PATTERN, 'must be 3 to 40 lower-case letters, digits or hyphens, starting and ending with a letter or digit'],
  ['^[A-Za-z0-9_.:-]{1,64}$', 'must be 1 to 64 letters, digits, or the characters _ . : -'],
  ['^[a-z0-9][a-z0-9_-]{0,63}$', 'must be 1 to 64 lower-case letters, digits, hyphens or underscores, starting with a letter or digit'],
]);

/**
 * Enums up to this size are listed whole in their error (webhook event types, 13; groupBy keys, 14: an integrator could not
 * see which event type to write from "13 allowed values (3 of them, …)"); longer ones (currencies) by count and a few examples.
 */
const ENUM_LISTED = 20;

function enumMessage(e: ErrorObject): string {
  const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
  const show = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');
  const list = allowed.length <= ENUM_LISTED ? `must be one of ${show(allowed)}` : `must be one of ${allowed.length} allowed values (${show(allowed.slice(0, 3))}, …)`;
  const given = e.data;
  const meant = typeof given === 'string' ? allowed.find((a) => typeof a === 'string' && a.toLowerCase() === given.toLowerCase()) : undefined;
  return meant === undefined ? list : `${list}; did you mean ${JSON.stringify(meant)}?`;
}

/** `not: {enum}` (reserved handles): ajv says only "must NOT be valid"; name the value and what is reserved. */
function reservedMessage(e: ErrorObject): string {
  const reserved = (e.schema as { enum: unknown[] }).enum.map((v) => JSON.stringify(v)).join(', ');
  return `${JSON.stringify(e.data)} is reserved and cannot be used (reserved: ${reserved})`;
}

const isDateTimeFormat = (e: ErrorObject) => e.keyword === 'format' && (e.params as { format: string }).format === 'date-time';

export function toDetails(errors: ErrorObject[] | null | undefined, root: string): ErrorDetail[] {
  const all = errors ?? [];
  // "notadate" fails an instant's format and its pattern: one detail, not two.
  const badDates = new Set(all.filter(isDateTimeFormat).map((e) => e.instancePath));
  const twice = (e: ErrorObject) => e.keyword === 'pattern' && badDates.has(e.instancePath) && (e.params as { pattern: string }).pattern === instant.pattern;
  return all.filter((e) => !twice(e)).map((e) => {
    let pointer = `${root}${e.instancePath}`;
    let message = e.message ?? 'is invalid';
    const said = e.keyword === 'pattern' ? PATTERNS_SAID.get((e.params as { pattern: string }).pattern) : undefined;
    if (said) {
      message = said;
    } else if (isDateTimeFormat(e)) {
      // An instant (a time-window bound) also bounds the years; a plain date-time field does not.
      message = (e.parentSchema as { pattern?: string } | undefined)?.pattern === instant.pattern ? DATE_TIME : 'must be an RFC 3339 date-time, e.g. 2026-12-04T00:00:00Z';
    } else if (e.keyword === 'enum') {
      message = enumMessage(e);
    } else if (e.keyword === 'not' && Array.isArray((e.schema as { enum?: unknown } | undefined)?.enum)) {
      message = reservedMessage(e);
    } else if (e.keyword === 'additionalProperties') {
      pointer += `/${escapePointer((e.params as { additionalProperty: string }).additionalProperty)}`;
      message = 'is not a known field';
    } else if (e.keyword === 'required') {
      pointer += `/${escapePointer((e.params as { missingProperty: string }).missingProperty)}`;
      message = 'is required';
    }
    return { pointer, message };
  });
}

/** Validates (and coerces/defaults) a value in place; throws 400 invalid_request listing each field. */
export function check(validate: ValidateFunction, value: unknown, root: string, what: string) {
  if (!validate(value)) {
    throw invalidRequest(`The ${what} is invalid.`, toDetails(validate.errors, root));
  }
}
