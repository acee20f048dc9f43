// The scopes a handle token may hold: a copy of SCOPES in core/http/route.ts (the dashboard cannot import the
// server's modules); test/unit/dashboard-scopes.test.ts holds the two equal. v2's, then v2.1's and audit.read.
export const HANDLE_SCOPES = [
  'campaigns.read', 'campaigns.write', 'analytics.read', 'webhooks.read', 'webhooks.write',
  'notifications.read', 'tokens.write', 'plugins.read', 'plugins.write',
  'partners.read', 'partners.write', 'conversions.read', 'conversions.write',
  'commissions.read', 'commissions.write', 'payouts.read', 'payouts.write', 'audit.read',
];
