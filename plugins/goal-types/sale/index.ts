// SALE: a partnership team that pays on completed orders and claws back on refunds.
import { definePlugin, type CampaignDraft } from '../../../core/plugins/sdk.ts';

/** Orders attributed to a click older than this are too stale to commission fairly. */
export const MAX_SALE_ATTRIBUTION_WINDOW_DAYS = 90;

export default definePlugin({
  name: 'SALE',
  version: '1.0.0',
  kind: 'goal-type',
  description: 'Partner campaigns paid on completed purchases, with refunds reported against them.',
  trackingPreset: 'custom_webhook',
  conversionEvent: 'purchase',
  eventTypes: ['purchase', 'refund'],
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
