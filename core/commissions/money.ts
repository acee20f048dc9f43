// Money in JavaScript is integer cents (BigInt) or decimal strings handed to PostgreSQL numeric; never a
// float in arithmetic. The ledger computes in SQL; these helpers exist for the places JS must agree with it
// (validation, reconcile, tests that prove both roundings are the same).
import { numeric, numericText, type Numeric } from '../db/numeric.ts';
import type { ErrorDetail } from '../http/errors.ts';

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/**
 * The decimal text of a JSON number when it has at most two fraction digits, else null. JSON numbers
 * arrive as doubles; their shortest round-trip text (String(n)) is exactly what the client wrote for
 * any value with ≤ 15 significant digits, which covers numeric(14, 2).
 */
export function moneyText(n: number): string | null {
  if (!Number.isFinite(n)) return null;
  const text = String(n);
  return DECIMAL.test(text) ? text : null;
}

/**
 * A body's money field when it is a number with more than cents: its 400 detail, else none. For a route's own check
 * (a reversal's amount, a campaign's maxConversionValue) and beside a failed schema's details (RouteDef.moreBodyProblems).
 */
export function centsProblems(body: unknown, field: string): ErrorDetail[] {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'number' && moneyText(value) === null ? [{ pointer: `/body/${field}`, message: 'must have at most 2 fraction digits' }] : [];
}

/** "12.3" → 1230n; throws on anything that is not a decimal with at most 2 fraction digits. */
export function toCents(decimal: string): bigint {
  const m = DECIMAL.exec(decimal);
  if (!m) throw new RangeError(`not a money amount: ${decimal}`);
  const cents = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}

/** 1230n → "12.30" (PostgreSQL numeric(14, 2) text). */
export function centsToText(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** A money value read from PostgreSQL (db/numeric.ts: a number, or a raw JSON number past a double) in cents. */
export const centsOf = (value: Numeric): bigint => toCents(numericText(value));

/** Cents as JSON money: a plain number when a double holds them, else their exact digits (db/numeric.ts). */
export const moneyOf = (cents: bigint): Numeric => numeric(centsToText(cents));

/**
 * `percent` % of `valueCents`, rounded half up (away from zero) to a cent: PostgreSQL's
 * round(value * percent / 100, 2) for numeric, done in integers. Percent is in hundredths (12.5 % = 1250n).
 */
export function percentOfCents(valueCents: bigint, percentHundredths: bigint): bigint {
  const product = valueCents * percentHundredths; // in 1/10000 of a cent
  const abs = product < 0n ? -product : product;
  const rounded = (abs + 5000n) / 10000n;
  return product < 0n ? -rounded : rounded;
}
