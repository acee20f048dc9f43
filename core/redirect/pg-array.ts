// PostgreSQL array literals for the click batch's parameters, one string per column. Given a JS array,
// pg builds the same literal with two regex replaces and a concatenation per element: ~0.5 µs each, 20
// columns a click, the largest cost of a flush in the profile. Here ids and timestamps (which never hold
// a quote, backslash, comma, brace or space) are joined as they are, and a text value is escaped once per
// distinct value: a batch repeats its handle, campaign, country, user agent, destination... on every row.

const ESCAPED_MEMO = 20_000;
// Longer values are escaped every time, so one hostile batch cannot fill the memo with megabytes.
const ESCAPED_MEMO_MAX_CHARS = 1024;
const escapedMemo = new Map<string, string>();

function quote(v: string): string {
  let q = escapedMemo.get(v);
  if (q === undefined) {
    q = `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    if (v.length <= ESCAPED_MEMO_MAX_CHARS) {
      if (escapedMemo.size >= ESCAPED_MEMO) escapedMemo.delete(escapedMemo.keys().next().value!);
      escapedMemo.set(v, q);
    }
  }
  return q;
}

/** `{"a","b",NULL}` for a `$n::text[]` parameter: any text. */
export function textArray<T>(rows: readonly T[], value: (row: T) => string | null): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = value(rows[i]);
    parts[i] = v === null ? 'NULL' : quote(v);
  }
  return `{${parts.join(',')}}`;
}

/**
 * `{a,b,NULL}` for values made only of characters an unquoted array element may hold (letters, digits,
 * `-`, `_`, `:`, `.`, `+`): UUIDs, ISO timestamps, base64url hashes. Callers pass only such values.
 */
export function plainArray<T>(rows: readonly T[], value: (row: T) => string | null): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) parts[i] = value(rows[i]) ?? 'NULL';
  return `{${parts.join(',')}}`;
}

/** `{t,f}` for a `$n::boolean[]` parameter. */
export function boolArray<T>(rows: readonly T[], value: (row: T) => boolean): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) parts[i] = value(rows[i]) ? 't' : 'f';
  return `{${parts.join(',')}}`;
}
