// LEAD_CAPTURE: referral programs that pay on sign-ups, and more once a lead is qualified.
import { definePlugin } from '../../../core/plugins/sdk.ts';

export default definePlugin({
  name: 'LEAD_CAPTURE',
  version: '1.0.0',
  kind: 'goal-type',
  description: 'Referral campaigns that report captured leads and, later, qualified leads.',
  trackingPreset: 'custom_webhook',
  conversionEvent: 'lead',
  eventTypes: ['lead', 'qualified_lead'],
});
