// PostgreSQL array literals for the parameters of batch statements (the click flush, the conversion claim),
// one string per column. Given a JS array, pg builds the same literal with two regex replaces and a
// concatenation per element: ~0.5 µs each, 20 columns a click, the largest cost of a flush in the profile.
// Here ids and numbers (which never hold a quote, backslash, comma, brace or space) are joined as they are, text is scanned once and escaped
// only when it holds a quote or backslash, and each column is one join. (A memo of escaped values was
// tried: values that differ on every click, such as a burst reason, made its eviction the hot spot.)

const QUOTE = 34; // "
const BACKSLASH = 92; // \

/**
 * A quoted element; escaping only for the rare value that holds a quote or a backslash. U+0000, which
 * PostgreSQL text cannot hold (the whole statement would fail, a batch of every handle's clicks with it),
 * is dropped: inputs refuse it, so only a plugin's answer could bring one this far.
 */
function quote(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0) return quote(v.replaceAll('\u0000', ''));
    if (c === QUOTE || c === BACKSLASH) return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }
  return `"${v}"`;
}

/**
 * `{"a","b",NULL}` for a `$n::text[]` parameter: any text. A value equal to the row before's reuses its
 * element (clicks arrive in runs: one campaign's handle, destination, country, a visitor's user agent).
 */
export function textArray<T>(rows: readonly T[], value: (row: T) => string | null): string {
  const parts = new Array<string>(rows.length);
  let last: string | null | undefined;
  let element = '';
  for (let i = 0; i < rows.length; i++) {
    const v = value(rows[i]);
    if (i === 0 || v !== last) {
      last = v;
      element = v === null ? 'NULL' : quote(v);
    }
    parts[i] = element;
  }
  return `{${parts.join(',')}}`;
}

/**
 * `{a,b,NULL}` for values made only of characters an unquoted array element may hold (letters, digits,
 * `-`, `_`, `:`, `.`, `+`): UUIDs, ISO timestamps, base64url hashes, finite numbers' String(). Callers pass only such values.
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

/** `{0,1,…,n-1}` for a batch statement's `$1::int[]` of row ordinals: each result row names the input it answers. */
export function ordinals(rows: readonly unknown[]): string {
  return `{${rows.map((_, i) => i).join(',')}}`;
}

/**
 * `select unnest($1::uuid[]) as click_id, unnest($2::text[]) as handle, …`: a batch's parameter arrays as rows, each
 * column named by its key. Unnested in the select list (a ProjectSet, row by row) and not in FROM as `unnest($1, $2, …)`,
 * whose function scan stores every array's rows in a tuplestore of its own before the first row: 21 arrays of 1,000
 * elements 2.6 against 0.6 ms, of 25 elements 0.10 against 0.03 ms (EXPLAIN ANALYZE); the click flush ~1.3 µs of
 * PostgreSQL's CPU a click less (docs/performance.md). Both pad shorter arrays with nulls.
 */
export function unnested(columns: Record<string, string>): string {
  return `select ${Object.entries(columns).map(([name, array]) => `unnest(${array}) as ${name}`).join(', ')}`;
}
