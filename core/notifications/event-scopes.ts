// A subscription hands every event's data to its endpoint: subscribing to an event whose data a read
// scope guards takes that scope too, so a webhooks.write token never receives more than it may read.
// v2's events (clicks, conversions as submitted, campaigns, pings) keep needing webhooks.write alone.
import { HttpError } from '../http/errors.ts';
import type { Principal, Scope } from '../http/route.ts';
import type { EventType } from '../outbox/index.ts';

export const READ_SCOPES: Partial<Record<EventType, Scope[]>> = {
  'commission.created': ['commissions.read'],
  'commission.updated': ['commissions.read'],
  // A reversal's event carries the commission rows it created or changed.
  'conversion.reversed': ['conversions.read', 'commissions.read'],
  'payout.created': ['payouts.read'],
  'payout.paid': ['payouts.read'],
  'payout.canceled': ['payouts.read'],
  'payout.amended': ['payouts.read'],
  'partner.updated': ['partners.read'],
};

/** 403 insufficient_scope for the first event type whose read scope the caller lacks. */
export function checkEventScopes(principal: Principal, eventTypes: readonly EventType[]): void {
  for (const type of eventTypes) {
    const scope = READ_SCOPES[type]?.find((s) => !principal.scopes.includes(s));
    if (scope) {
      throw new HttpError(403, 'insufficient_scope', `Subscribing to ${type} takes the "${scope}" scope (its events carry that data); this token lacks it.`);
    }
  }
}
