// Row serializers for analytics exports: each call yields one self-contained line, so exports can stream.
import { isRawNumber } from '../db/numeric.ts';

/** Column order of `GET .../analytics/export`; the CSV header row is `csvRow(EXPORT_COLUMNS)`. */
export const EXPORT_COLUMNS = [
  'clickId',
  'campaignId',
  'occurredAt',
  'country',
  'segment',
  'referrer',
  'source',
  'isBot',
  'botReason',
  'converted',
  'conversions',
  'value',
  'currency',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  // v2.1 columns come after v2's, so positional readers of a v2 export keep working.
  'partnerId',
] as const;

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

const FORMULA_START = /^[=+\-@\t\r]/;
// A string that is just a decimal number (e.g. a NUMERIC column read as "-24.99") is data, not a formula.
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (isRawNumber(value)) return value.rawJSON; // a money sum past a double's digits (db/numeric.ts): its exact digits
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  // Spreadsheets run cells that start like a formula; a leading quote makes them plain text.
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

function csvField(value: unknown): string {
  const text = cellText(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One RFC 4180 record, CRLF-terminated, safe to open in a spreadsheet. */
export function csvRow(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** One NDJSON line; Dates become ISO strings through their toJSON, bigints become strings, raw JSON numbers stay exact. */
export function ndjsonRow(obj: unknown): string {
  return JSON.stringify(obj, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}
