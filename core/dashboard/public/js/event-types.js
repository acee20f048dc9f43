// The event types a webhook may subscribe to: a copy of EVENT_TYPES in core/outbox/service.ts (the dashboard
// cannot import the server's modules); test/unit/cli-event-types.test.ts holds the two equal. The API refuses others with 400.
export const EVENT_TYPES = [
  'link.clicked', 'conversion.tested', 'conversion.deduped', 'campaign.updated', 'webhook.ping',
  'commission.created', 'commission.updated', 'conversion.reversed', 'payout.created', 'payout.paid', 'payout.canceled', 'payout.amended', 'partner.updated',
];

// The read scopes a subscription to an event type takes besides webhooks.write (its events carry that data): a copy
// of READ_SCOPES in core/notifications/event-scopes.ts, held equal by the same test. The API refuses others with 403.
export const EVENT_READ_SCOPES = {
  'commission.created': ['commissions.read'],
  'commission.updated': ['commissions.read'],
  'conversion.reversed': ['conversions.read', 'commissions.read'],
  'payout.created': ['payouts.read'],
  'payout.paid': ['payouts.read'],
  'payout.canceled': ['payouts.read'],
  'payout.amended': ['payouts.read'],
  'partner.updated': ['partners.read'],
};

// What a partner postback may subscribe to and the macros its URL template may hold: copies of
// POSTBACK_EVENTS and POSTBACK_MACROS in core/notifications/ (API.md "Events, postbacks");
// test/unit/cli-event-types.test.ts holds them equal. The API refuses others with 400.
export const POSTBACK_EVENTS = ['conversion.tested', 'commission.created', 'commission.updated'];
export const POSTBACK_MACROS = [
  'click_id', 'conversion_id', 'campaign_id', 'partner_id', 'event_type', 'status', 'amount', 'value', 'currency',
  'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'country', 'occurred_at',
];
