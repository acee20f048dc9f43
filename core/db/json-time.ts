// Timestamps written in SQL as the API writes them: ISO 8601 in UTC with milliseconds and a Z
// ("2026-12-03T15:58:42.240Z"), not PostgreSQL's own JSON form ("2026-12-03T15:58:42.240506+00:00"):
// event payloads, the notifications panel, click exports. Both truncate to the millisecond, as node-postgres does.

/** A timestamptz expression as the API's timestamp string (null stays null). */
export const isoTimeSql = (expr: string) => `to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `to_jsonb(alias)` with the named timestamp fields (the alias's columns) written as the API writes them. */
export const jsonbWithTimes = (alias: string, fields: string[]) =>
  `(to_jsonb(${alias}) || jsonb_build_object(${fields.map((f) => `'${f}', ${isoTimeSql(`${alias}."${f}"`)}`).join(', ')}))`;
