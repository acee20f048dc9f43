import { createHash } from 'node:crypto';
import { numericText, type Numeric } from '../db/numeric.ts';
import { HttpError } from '../http/errors.ts';
import { centsOf, centsToText } from '../commissions/index.ts';

// A pending payout can change under a person about to pay it: a reversal takes a line out (its amount shrinks) or
// cancels it. GET answers an ETag of what a payer confirms (status, amount, lines); mark-paid and cancel with
// If-Match refuse (412) when the payout is no longer that, so "Mark 13.33 USD paid?" never marks 8.33 paid.

export interface PayoutState {
  status: string;
  amount: Numeric;
  currency: string;
  commissionCount: number;
}

/** A strong validator of the payout as a payer sees it. */
export function payoutEtag(p: PayoutState): string {
  return `"${createHash('sha256').update(`${p.status}|${numericText(p.amount)}|${p.currency}|${p.commissionCount}`).digest('base64url').slice(0, 22)}"`;
}

/** 412 unless `ifMatch` (the request's If-Match, when sent) names the payout as it is now; `*` matches any. */
export function assertMatches(ifMatch: string | undefined, now: PayoutState): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(payoutEtag(now))) return;
  throw new HttpError(412, 'precondition_failed',
    `The payout changed since it was read: it is now ${now.status}, ${centsToText(centsOf(now.amount))} ${now.currency} over ${now.commissionCount} line${now.commissionCount === 1 ? '' : 's'}. Read it again before confirming.`);
}
