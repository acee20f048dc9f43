// Sub-IDs: up to five free-form labels a partner puts on its link
// (`?sub1=newsletter&sub2=banner-a`), stored on the click and inherited by its conversions.

import { memoizeByString } from '../infra/string-memo.ts';

/** The query parameters, in column order (clicks.sub1 … clicks.sub5). */
export const SUB_ID_PARAMS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;
export type SubIdParam = (typeof SUB_ID_PARAMS)[number];
export type SubIds = Record<SubIdParam, string | null>;

export const SUB_ID_MAX_CHARS = 100;

// Controls, format characters (bidi overrides, zero-width), private use and unassigned code points, as the rest of the
// API means "printable" (idempotencyKey's pattern); and the line and paragraph separators (U+2028, U+2029), which end a
// line in some readers of an export or a postback's URL as a line feed would.
export const NOT_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/gu;

const NO_SUB_IDS: Readonly<SubIds> = Object.freeze({ sub1: null, sub2: null, sub3: null, sub4: null, sub5: null });

/** One value: non-printable characters dropped, then cut to 100 code points; nothing left → null. */
export function cleanSubId(raw: string): string | null {
  let v = raw.replace(NOT_PRINTABLE, '');
  // Cut by code points, not UTF-16 units, so an emoji at the boundary is never split in half.
  if (v.length > SUB_ID_MAX_CHARS) v = Array.from(v).slice(0, SUB_ID_MAX_CHARS).join('');
  return v === '' ? null : v;
}

// A link's clicks repeat its partner's sub-IDs: each distinct value is cleaned once (a Unicode property regex).
const cleaned = memoizeByString(cleanSubId, { size: 2000, maxKeyLength: 256 });

/**
 * The click's sub-IDs from its already-parsed query (ClickFacts.query). Runs after the 302 went
 * out; most clicks carry none, and then it costs five property reads and returns a shared object.
 */
export function subIdsOf(query: Record<string, string>): Readonly<SubIds> {
  const { sub1, sub2, sub3, sub4, sub5 } = query;
  if (sub1 === undefined && sub2 === undefined && sub3 === undefined && sub4 === undefined && sub5 === undefined) return NO_SUB_IDS;
  return {
    sub1: sub1 === undefined ? null : cleaned(sub1),
    sub2: sub2 === undefined ? null : cleaned(sub2),
    sub3: sub3 === undefined ? null : cleaned(sub3),
    sub4: sub4 === undefined ? null : cleaned(sub4),
    sub5: sub5 === undefined ? null : cleaned(sub5),
  };
}
