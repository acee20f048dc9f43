// The partner data set the analytics tests compute their expectations from by hand.
import { insertCampaigns, insertTraffic, type ClickSpec } from './analytics-fixtures.ts';
import { createHandle, type TestServer } from './server.ts';

/**
 * The fixed data set every expectation below is computed from by hand (reporting currency USD).
 * Conversions are recorded 5 minutes after their click unless `at` says otherwise.
 */
export const PARTNER_TRAFFIC: ClickSpec[] = [
  /* 1 */ { campaignId: 'partner-alpha', at: '2026-02-24T10:15:00Z', country: 'US', segment: 'desktop', source: 'twitter', referrerHost: 't.co', conversions: [{ value: 24.99, currency: 'USD' }] },
  /* 2 */ { campaignId: 'partner-alpha', at: '2026-02-24T10:40:00Z', country: 'US', segment: 'mobile', source: 'twitter', referrerHost: 't.co' },
  /* 3 */ { campaignId: 'partner-alpha', at: '2026-02-24T11:05:00Z', country: 'DE', segment: 'mobile', source: 'email', referrerHost: 'mail.google.com', conversions: [{ value: 10, currency: 'EUR' }] },
  /* 4 */ { campaignId: 'partner-alpha', at: '2026-02-25T09:00:00Z', country: 'US', segment: 'desktop', source: 'direct' },
  /* 5 */ { campaignId: 'partner-alpha', at: '2026-02-25T09:30:00Z', country: 'FR', segment: 'bot', source: 'direct', isBot: true, botReason: '=HYPERLINK("http://evil")' },
  /* 6 */ { campaignId: 'partner-alpha', at: '2026-02-25T13:00:00Z', country: 'DE', segment: 'desktop', source: 'email', conversions: [{ value: 5.01, currency: 'USD' }] },
  /* 7 */ { campaignId: 'partner-beta', at: '2026-02-24T23:59:00Z', country: 'US', segment: 'mobile', source: 'instagram', conversions: [{ value: 100, currency: 'USD', at: '2026-02-25T00:04:00Z' }] },
  /* 8 */ { campaignId: 'partner-beta', at: '2026-02-25T00:30:00Z', country: 'GB', segment: 'tablet', source: 'instagram', isBot: true, botReason: 'ua "curl", line1\nline2 \\path' },
  /* 9 */ { campaignId: 'partner-beta', at: '2026-02-25T01:00:00Z', country: 'US', segment: 'desktop', source: 'direct', conversions: [{ value: null, currency: null }] },
  /* 10 */ { campaignId: 'partner-alpha', at: '2026-02-23T08:00:00Z', country: 'US', segment: 'desktop', source: 'direct' },
  /* 11 */ { campaignId: 'partner-retired', at: '2026-02-24T12:00:00Z', country: 'US', segment: 'desktop', source: 'direct' },
];

export async function partnerHandle(server: TestServer) {
  const h = await createHandle(server);
  await insertCampaigns(server.sql, h.handle, ['partner-alpha', 'partner-beta', 'partner-gamma', { campaignId: 'partner-retired', status: 'ARCHIVED' }]);
  await insertTraffic(server.sql, h.handle, PARTNER_TRAFFIC);
  return h;
}
