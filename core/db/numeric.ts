// PostgreSQL numeric in JavaScript, on its way to JSON. A numeric is exact; a double keeps 15-17
// significant digits, so a money sum above 2^53 cents (~9.0e13) lost its last cent as a number
// (90999999999999.09 became 90999999999999.1). A value is a plain number when the double is the same
// decimal (every amount, count and ordinary sum: nothing changes for code that reads them), else, for a
// decimal of at most 2 fraction digits (money and its sums), its exact digits as a raw JSON number:
// JSON.stringify writes them as a number token. A raw value is an object: arithmetic or a comparison on
// it throws instead of rounding, so money is added up in SQL, or in BigInt cents (core/commissions/money.ts).

/** What JSON.rawJSON makes: a frozen object JSON.stringify writes as its text. */
export interface RawNumber {
  readonly rawJSON: string;
}

/** A numeric as node-postgres hands it over (kernel.ts installs numeric() as its parser) and as JSON writes it. */
export type Numeric = number | RawNumber;

// Node 24 has both (TypeScript's lib does not declare them yet).
const json = JSON as unknown as { rawJSON(text: string): RawNumber; isRawJSON(value: unknown): boolean };

export const isRawNumber = (value: unknown): value is RawNumber => json.isRawJSON(value);

/** At most 15 significant digits (15 characters hold no more): a double is always the same decimal. */
const SHORT = 15;
const MONEY = /^-?\d+(?:\.\d{1,2})?$/;

/** "12.50" → 12.5; "90999999999999.09" → the raw JSON number 90999999999999.09. */
export function numeric(text: string): Numeric {
  const n = Number(text);
  if (text.length <= SHORT) return n;
  // PostgreSQL writes the column's scale ("….10"); the shortest decimal a double prints has no trailing zeros.
  const decimal = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  if (String(n) === decimal || !MONEY.test(decimal)) return n; // an average or ratio: as close as a double gets, as before
  return json.rawJSON(decimal);
}

/** The decimal digits of a numeric() value: "90999999999999.09", "12.5". */
export const numericText = (value: Numeric): string => (isRawNumber(value) ? value.rawJSON : String(value));

/** 16 digits (and points) in a row: only such a number may hold more digits than a double keeps. */
const LONG_NUMBER = /[\d.]{16}/;
const exactNumber = (_key: string, value: unknown, context?: { source?: string }) =>
  typeof value === 'number' && context?.source !== undefined ? numeric(context.source) : value;

/**
 * JSON.parse for jsonb read as text (`payload::text`), keeping a money sum's digits as numeric() does:
 * node-postgres's jsonb parser is a plain JSON.parse, which rounds them.
 */
export const parseExactJson = (text: string): unknown => (LONG_NUMBER.test(text) ? JSON.parse(text, exactNumber) : JSON.parse(text));
