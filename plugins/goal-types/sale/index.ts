// SALE: a partnership team that pays on completed orders and claws back on refunds. A refund is not
// an event of its own: recorded as one, it counted as a conversion and added to revenue. It is a
// reversal of the order's conversion (POST .../conversions/reversals), which takes back its value
// from netRevenue and its commission from the ledger.
import { definePlugin, type CampaignDraft } from '../../../core/plugins/sdk.ts';

/** Orders attributed to a click older than this are too stale to commission fairly. */
export const MAX_SALE_ATTRIBUTION_WINDOW_DAYS = 90;

export default definePlugin({
  name: 'SALE',
  version: '1.0.0',
  kind: 'goal-type',
  description: 'Partner campaigns paid on completed purchases; a refund is a reversal of the purchase (POST .../conversions/reversals).',
  trackingPreset: 'custom_webhook',
  conversionEvent: 'purchase',
  eventTypes: ['purchase'],
  validateCampaign(campaign: CampaignDraft): string[] {
    if (campaign.attributionWindowDays > MAX_SALE_ATTRIBUTION_WINDOW_DAYS) {
      return [
        `A SALE campaign's attributionWindowDays must be at most ${MAX_SALE_ATTRIBUTION_WINDOW_DAYS}; ` +
          `${campaign.attributionWindowDays} was given.`,
      ];
    }
    return [];
  },
});
