import { invalidRequest } from './errors.ts';
import { instant } from './validate.ts';

const INSTANT_YEAR = new RegExp(instant.pattern);

/** The contract's list parameters: limit 1..500 (default 50) and an opaque cursor. */
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: { type: 'string', minLength: 1, maxLength: 512 },
} as const;

/** A list's page; a named item (`title`) names the page too (`TokenPage`), for the OpenAPI document. */
export const pageOf = (item: object) => ({
  ...(typeof (item as { title?: unknown }).title === 'string' && { title: `${(item as { title: string }).title}Page` }),
  type: 'object',
  additionalProperties: false,
  required: ['data', 'nextCursor'],
  properties: { data: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
});

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** What each position of a list's cursor key holds (it is cast in SQL, so the type is checked here). */
export type CursorPart = 'timestamp' | 'uuid' | 'text';

const CURSOR_PART: Record<CursorPart, (v: unknown) => boolean> = {
  // The keys lists write: to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').
  // Date.parse rolls 02-30 or 24:00 over where PostgreSQL refuses them: the date and time must survive a round trip.
  timestamp: (v) => typeof v === 'string' && INSTANT_YEAR.test(v) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/.test(v) &&
    Number.isFinite(Date.parse(v)) && new Date(v).toISOString().slice(0, 19) === v.slice(0, 19),
  uuid: (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  text: (v) => typeof v === 'string' && v.length <= 255 && !v.includes('\u0000'),
};

/** Decodes a cursor made by encodeCursor for a key of this shape; anything else is a 400, never a 500. */
export function decodeCursor(cursor: string | undefined, shape: CursorPart[]): unknown[] | null {
  if (cursor === undefined) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === shape.length && shape.every((part, i) => CURSOR_PART[part](key[i]))) return key;
  } catch {
    // fall through
  }
  throw invalidRequest('The cursor is not valid.', [{ pointer: '/query/cursor', message: 'is not a cursor from this list' }]);
}

/** Given limit+1 rows in list order, returns the page and the cursor of its last row. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(keyOf(data[data.length - 1])) : null };
}
