// partner_segment: lets a handle name its own segments (by source, then country) instead of device classes.
import { definePlugin, wwwTwin, type ClickFacts } from '../../../core/plugins/sdk.ts';

export interface PartnerSegmentSettings {
  /** Source channel (e.g. `email`) → segment (e.g. `newsletter`). */
  bySource?: Record<string, string>;
  /** ISO-3166 alpha-2 country (e.g. `DE`) → segment. */
  byCountry?: Record<string, string>;
}

const segmentName = { type: 'string', minLength: 1, maxLength: 64 };

/** Source wins over country: a partner's channel says more about the visitor than where they are. */
export function partnerSegment(click: ClickFacts, settings: PartnerSegmentSettings | undefined): string | undefined {
  const bySource = settings?.bySource ?? {};
  const byCountry = settings?.byCountry ?? {};
  // Own-property lookups only, so a source named `constructor` never picks up a prototype member.
  if (Object.hasOwn(bySource, click.source)) return bySource[click.source];
  // A key written with or without a Referer host's `www.` names the same site.
  const twin = wwwTwin(click.source);
  if (Object.hasOwn(bySource, twin)) return bySource[twin];
  if (Object.hasOwn(byCountry, click.country)) return byCountry[click.country];
  return undefined;
}

export default definePlugin({
  name: 'partner_segment',
  version: '1.0.0',
  kind: 'tracking-preset',
  description: 'Assigns analytics segments from the click source or country, else keeps the device class.',
  enabledByDefault: true,
  ctxParam: 'ctx',
  emits: ['link.clicked', 'conversion.tested', 'conversion.deduped'],
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bySource: {
        type: 'object',
        propertyNames: { type: 'string', minLength: 1, maxLength: 255 },
        additionalProperties: segmentName,
        maxProperties: 200,
      },
      byCountry: {
        type: 'object',
        propertyNames: { type: 'string', pattern: '^[A-Z]{2}$' },
        additionalProperties: segmentName,
        maxProperties: 250,
      },
    },
  },
  defaultSettings: {},
  segment: partnerSegment,
});
