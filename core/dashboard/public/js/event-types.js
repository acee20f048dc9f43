// The event types a webhook may subscribe to: a copy of EVENT_TYPES in core/outbox/service.ts (the dashboard
// cannot import the server's modules); test/unit/cli-event-types.test.ts holds the two equal. The API refuses others with 400.
export const EVENT_TYPES = [
  'link.clicked', 'conversion.tested', 'conversion.deduped', 'campaign.updated', 'webhook.ping',
  'commission.created', 'commission.updated', 'conversion.reversed', 'payout.created', 'payout.paid', 'partner.updated',
];
