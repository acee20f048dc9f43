import type { STATUSES } from './schemas.ts';

export type CommissionStatus = (typeof STATUSES)[number];
export type ManualStatus = 'approved' | 'rejected';

/** What a move needs to know about a commission. */
export interface LifecycleFacts {
  status: CommissionStatus;
  /** A click row whose UTC day has not ended yet: still accruing, not final. */
  openDay: boolean;
}

/**
 * The moves a person may make (API.md "Reward rules and commissions"): pending → approved (not while a
 * click day is open), pending → rejected, rejected → approved. `paid` comes only from a payout and
 * `reversed` only from a reversal. Returns null when allowed, 'unchanged' when the commission is
 * already there (a retried request is not an error), else why not.
 */
export function manualMoveProblem(c: LifecycleFacts, to: ManualStatus): string | null | 'unchanged' {
  if (c.status === to) return 'unchanged';
  if (to === 'approved') {
    if (c.status !== 'pending' && c.status !== 'rejected') return `A ${c.status} commission cannot be approved.`;
    if (c.openDay) return "A click commission's day has not ended yet; it can be approved once the day is over.";
    return null;
  }
  if (c.status !== 'pending') return `Only a pending commission can be rejected; this one is ${c.status}.`;
  return null;
}
