// AFFILIATE_CLICKOUT: one campaign per partner, paid on the click-out to the merchant (seed workflow 1).
import { definePlugin, type CampaignDraft } from '../../../core/plugins/sdk.ts';

export default definePlugin({
  name: 'AFFILIATE_CLICKOUT',
  version: '1.0.0',
  kind: 'goal-type',
  description: 'Per-partner affiliate links that report the click-out to the merchant as the conversion.',
  trackingPreset: 'custom_webhook',
  conversionEvent: 'affiliate_click',
  eventTypes: ['affiliate_click', 'sale'],
  // The kernel's schema and uniqueness checks are all this goal type needs.
  validateCampaign: (_campaign: CampaignDraft): string[] => [],
});
