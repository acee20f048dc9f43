// utm-segment: an example tracking preset that names analytics segments after the link's utm_campaign.
import { definePlugin, type ClickFacts, type TrackingPresetPlugin } from 'tenx/plugin';

export interface UtmSegmentSettings {
  /** Query parameter whose value becomes the segment. */
  param: string;
  /** Segments allowed as-is; any other value becomes `other` (keeps the segment list short and safe). */
  allow?: string[];
}

const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `?utm_campaign=Spring-Sale` → `spring-sale`; undefined (the device class stays) when the link has none. */
export function utmSegment(click: ClickFacts, settings: UtmSegmentSettings): string | undefined {
  const raw = click.query[settings.param]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (settings.allow?.length) return settings.allow.includes(raw) ? raw : 'other';
  return SEGMENT.test(raw) ? raw : 'other';
}

export default definePlugin<TrackingPresetPlugin<UtmSegmentSettings>>({
  name: 'utm-segment',
  version: '1.0.0',
  kind: 'tracking-preset',
  description: 'Example: segments clicks by their utm_campaign (or another query parameter).',
  enabledByDefault: false,
  ctxParam: 'ctx',
  emits: ['link.clicked', 'conversion.tested', 'conversion.deduped'],
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['param'],
    properties: {
      param: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      allow: { type: 'array', maxItems: 100, items: { type: 'string', pattern: SEGMENT.source } },
    },
  },
  defaultSettings: { param: 'utm_campaign' },
  segment: utmSegment,
});
