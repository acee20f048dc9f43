import type { STATUSES } from './schemas.ts';

export type CommissionStatus = (typeof STATUSES)[number];
export type ManualStatus = 'approved' | 'rejected';

/** What a move needs to know about a commission. */
export interface LifecycleFacts {
  status: CommissionStatus;
  type: string;
  /** A click row whose UTC day has not ended yet: still accruing, not final. */
  openDay: boolean;
  /** Its conversion has been reversed whole (nothing of its value remains). */
  conversionReversed: boolean;
}

/**
 * The moves a person may make: pending → approved (not while a
 * click day is open), pending → rejected, rejected → approved (not once its conversion was reversed
 * whole: a reversal leaves a rejected commission alone, so approving it would pay for a refunded sale).
 * `paid` comes only from a payout and `reversed` only from a reversal; a reversal's adjustment follows
 * its commission (followers.ts) and clawbacks are approved at once, so neither is moved by hand.
 * Returns null when allowed, 'unchanged' when the commission is already there (a retried request is
 * not an error), else why not.
 */
export function manualMoveProblem(c: LifecycleFacts, to: ManualStatus): string | null | 'unchanged' {
  if (c.status === to) return 'unchanged';
  if (c.type === 'adjustment') return "An adjustment follows its conversion's commission: approve or reject that commission instead.";
  if (c.type === 'clawback') return "A clawback follows its conversion's commission: approve or reject that commission instead.";
  if (to === 'approved') {
    if (c.status !== 'pending' && c.status !== 'rejected') return `A ${c.status} commission cannot be approved.`;
    if (c.openDay) return "A click commission's day has not ended yet; it can be approved once the day is over.";
    if (c.status === 'rejected' && c.conversionReversed) return 'Its conversion was reversed while the commission was rejected: there is nothing left to pay.';
    return null;
  }
  if (c.status !== 'pending') return `Only a pending commission can be rejected; this one is ${c.status}.`;
  return null;
}
