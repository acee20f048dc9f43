// APP_INSTALL: an example third-party goal type, written only against the public plugin SDK.
import { definePlugin, type ClickFacts } from 'tenx/plugin';

export type Platform = 'ios' | 'android' | 'desktop';
export const PLATFORMS: readonly Platform[] = ['ios', 'android', 'desktop'];

/** The visitor's platform, from the user agent alone (iPadOS Safari that claims to be a Mac counts as desktop). */
export function platformOf(userAgent: string): Platform {
  if (/iPhone|iPad|iPod|\biOS\b/.test(userAgent)) return 'ios';
  if (/Android/i.test(userAgent)) return 'android';
  return 'desktop';
}

/** `conditions.platformIn`: send iOS visitors to the App Store, Android ones to Google Play, and so on. */
export const platformIn = {
  schema: {
    type: 'array',
    items: { type: 'string', enum: [...PLATFORMS] },
    minItems: 1,
    uniqueItems: true,
  },
  matches(value: unknown, click: ClickFacts): boolean {
    // The kernel validates against the schema; stay defensive so a bad stored rule never throws mid-redirect.
    return Array.isArray(value) && value.includes(platformOf(click.userAgent));
  },
};

export default definePlugin({
  name: 'APP_INSTALL',
  version: '1.0.0',
  kind: 'goal-type',
  description: 'Example: partner campaigns paid on app installs, routed to the right store per platform.',
  enabledByDefault: false,
  trackingPreset: 'custom_webhook',
  conversionEvent: 'install',
  eventTypes: ['install', 'first_open', 'purchase'],
  conditions: { platformIn },
});
