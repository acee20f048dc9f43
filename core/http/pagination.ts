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

export interface ListCursor {
  /** The key a request's cursor holds (null: the first page); anything else is a 400, never a 500. `handle`: the list's. */
  after(cursor: string | undefined, handle: string): unknown[] | null;
  /** Given limit+1 rows in list order, the page and the cursor of its last row, for the list of `handle`. */
  page<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[], handle: string): { data: T[]; nextCursor: string | null };
}

/**
 * The cursors of one list: a key of this shape, tagged with the list's name and the handle it lists, so that a
 * cursor from another list or another handle's list (a client mixing up its pages or its tenants) is refused
 * instead of positioning this one with keys that are not this list's.
 */
export function listCursor(list: string, shape: CursorPart[]): ListCursor {
  const refused = () => invalidRequest('The cursor is not valid.', [{ pointer: '/query/cursor', message: `is not a cursor from this list (${list})` }]);
  return {
    after(cursor, handle) {
      if (cursor === undefined) return null;
      let tagged: unknown;
      try {
        tagged = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw refused();
      }
      if (!Array.isArray(tagged) || tagged[0] !== list || tagged[1] !== handle) throw refused();
      const key = tagged.slice(2);
      if (key.length !== shape.length || !shape.every((part, i) => CURSOR_PART[part](key[i]))) throw refused();
      return key;
    },
    page(rows, limit, keyOf, handle) {
      const data = rows.slice(0, limit);
      const last = data[data.length - 1];
      return { data, nextCursor: rows.length > limit ? Buffer.from(JSON.stringify([list, handle, ...keyOf(last)])).toString('base64url') : null };
    },
  };
}
