import { expect } from 'chai';
import { Ajv } from 'ajv';
import type { CampaignDraft, ClickFacts, GoalTypePlugin, TrackingPresetPlugin } from '../../core/plugins/sdk.ts';
import affiliateClickout from '../../plugins/goal-types/affiliate-clickout/index.ts';
import sale from '../../plugins/goal-types/sale/index.ts';
import leadCapture from '../../plugins/goal-types/lead-capture/index.ts';
import customWebhook from '../../plugins/tracking-presets/custom-webhook/index.ts';
import partnerSegment from '../../plugins/tracking-presets/partner-segment/index.ts';
import appInstall from '../../plugins/examples/app-install/index.ts';

const goalTypes: GoalTypePlugin[] = [affiliateClickout, sale, leadCapture, appInstall];
const presets: TrackingPresetPlugin[] = [customWebhook, partnerSegment];
const ajv = new Ajv({ allErrors: true, strict: false });

const UA = {
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
};

/** The least a condition or preset needs to see: one click of partner-alpha's link. */
function click(over: Partial<ClickFacts> = {}): ClickFacts {
  return {
    handle: 'acme',
    campaignId: 'partner-alpha',
    slug: 'deal-alpha',
    ip: '203.0.113.7',
    userAgent: UA.windows,
    headers: {},
    source: 'direct',
    referrerHost: null,
    country: 'US',
    device: 'desktop',
    languages: ['en'],
    query: {},
    occurredAt: new Date('2026-02-25T10:00:00Z'),
    ...over,
  };
}

function draft(over: Partial<CampaignDraft> = {}): CampaignDraft {
  return {
    campaignId: 'partner-alpha',
    goalType: 'SALE',
    status: 'ACTIVE',
    primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
    routingRules: [],
    attributionWindowDays: 30,
    ...over,
  };
}

describe('goal-type plugins', () => {
  it('workflow 1: AFFILIATE_CLICKOUT implies custom_webhook and affiliate_click', () => {
    expect(affiliateClickout).to.include({
      name: 'AFFILIATE_CLICKOUT',
      kind: 'goal-type',
      version: '1.0.0',
      trackingPreset: 'custom_webhook',
      conversionEvent: 'affiliate_click',
    });
    expect(affiliateClickout.eventTypes).to.deep.equal(['affiliate_click', 'sale']);
    expect(affiliateClickout.validateCampaign(draft({ goalType: 'AFFILIATE_CLICKOUT', attributionWindowDays: 365 }))).to.deep.equal([]);
  });

  it('SALE pays on purchases; a refund is a reversal, not an event that would count as a sale', () => {
    expect(sale).to.include({ name: 'SALE', trackingPreset: 'custom_webhook', conversionEvent: 'purchase' });
    expect(sale.eventTypes).to.deep.equal(['purchase']);
  });

  it('LEAD_CAPTURE reports leads and qualified leads', () => {
    expect(leadCapture).to.include({ name: 'LEAD_CAPTURE', trackingPreset: 'custom_webhook', conversionEvent: 'lead' });
    expect(leadCapture.eventTypes).to.deep.equal(['lead', 'qualified_lead']);
  });

  it('APP_INSTALL is an opt-in example with its own events', () => {
    expect(appInstall).to.include({ name: 'APP_INSTALL', enabledByDefault: false, conversionEvent: 'install' });
    expect(appInstall.eventTypes).to.deep.equal(['install', 'first_open', 'purchase']);
  });

  it('every goal type reports a conversion event it allows, through a preset that exists', () => {
    const presetNames = presets.map((p) => p.name);
    for (const g of goalTypes) {
      expect(g.kind).to.equal('goal-type');
      expect(g.version).to.equal('1.0.0');
      expect(g.eventTypes, g.name).to.include(g.conversionEvent);
      expect(presetNames, g.name).to.include(g.trackingPreset);
    }
  });

  describe("SALE's attribution window", () => {
    const validate = (days: number) => sale.validateCampaign(draft({ attributionWindowDays: days }));
    it('accepts up to 90 days', () => {
      expect(validate(1)).to.deep.equal([]);
      expect(validate(90)).to.deep.equal([]);
    });
    it('refuses 91 days and more with a sentence', () => {
      const [message, ...rest] = validate(91);
      expect(rest).to.deep.equal([]);
      expect(message).to.match(/^A SALE campaign.*90.*91.*\.$/);
      expect(validate(365)).to.have.length(1);
    });
  });

  describe("APP_INSTALL's platformIn condition", () => {
    const platformIn = appInstall.conditions.platformIn;
    it('matches iPhone and iPad user agents as ios', () => {
      expect(platformIn.matches(['ios'], click({ userAgent: UA.iphone, device: 'mobile' }))).to.equal(true);
      expect(platformIn.matches(['ios'], click({ userAgent: UA.ipad, device: 'tablet' }))).to.equal(true);
      expect(platformIn.matches(['android'], click({ userAgent: UA.iphone }))).to.equal(false);
    });
    it('matches Android user agents as android', () => {
      expect(platformIn.matches(['android'], click({ userAgent: UA.android, device: 'mobile' }))).to.equal(true);
      expect(platformIn.matches(['ios', 'desktop'], click({ userAgent: UA.android }))).to.equal(false);
    });
    it('treats anything else as desktop', () => {
      expect(platformIn.matches(['desktop'], click({ userAgent: UA.windows }))).to.equal(true);
      expect(platformIn.matches(['desktop'], click({ userAgent: '' }))).to.equal(true);
    });
    it('never throws on a malformed value', () => {
      expect(platformIn.matches('ios', click({ userAgent: UA.iphone }))).to.equal(false);
      expect(platformIn.matches(null, click())).to.equal(false);
    });
    it('its schema accepts platform lists and refuses anything else', () => {
      const valid = ajv.compile(platformIn.schema);
      expect(valid(['ios', 'android'])).to.equal(true);
      expect(valid([])).to.equal(false);
      expect(valid(['windows'])).to.equal(false);
      expect(valid(['ios', 'ios'])).to.equal(false);
      expect(valid('ios')).to.equal(false);
    });
  });
});

describe('tracking presets the goal types point at', () => {
  it('custom_webhook carries ctx and keeps the device class', () => {
    expect(customWebhook).to.include({ name: 'custom_webhook', kind: 'tracking-preset', ctxParam: 'ctx' });
    expect(customWebhook.emits).to.deep.equal(['link.clicked', 'conversion.tested', 'conversion.deduped']);
    expect((customWebhook as TrackingPresetPlugin).segment).to.equal(undefined);
  });

  describe('partner_segment', () => {
    const settings = { bySource: { email: 'newsletter' }, byCountry: { DE: 'dach', US: 'north-america' } };
    it('is enabled by default and emits what custom_webhook emits', () => {
      expect(partnerSegment).to.include({ name: 'partner_segment', enabledByDefault: true, ctxParam: 'ctx' });
      expect(partnerSegment.emits).to.deep.equal(customWebhook.emits);
    });
    it('assigns by source first, then by country, else keeps the device class', () => {
      expect(partnerSegment.segment(click({ source: 'email', country: 'DE' }), settings)).to.equal('newsletter');
      expect(partnerSegment.segment(click({ source: 'twitter', country: 'DE' }), settings)).to.equal('dach');
      expect(partnerSegment.segment(click({ source: 'twitter', country: 'FR' }), settings)).to.equal(undefined);
      expect(partnerSegment.segment(click({ source: 'constructor' }), {})).to.equal(undefined);
    });
    it("finds a Referer host's key with or without its www. (the source keeps it since 2026-12-06)", () => {
      const sites = { bySource: { 'deals-blog.example': 'blog', 'www.news.example': 'news' } };
      expect(partnerSegment.segment(click({ source: 'www.deals-blog.example' }), sites)).to.equal('blog');
      expect(partnerSegment.segment(click({ source: 'deals-blog.example' }), sites)).to.equal('blog');
      expect(partnerSegment.segment(click({ source: 'news.example' }), sites)).to.equal('news');
      expect(partnerSegment.segment(click({ source: 'www.other.example' }), sites)).to.equal(undefined);
    });
    it('its settings schema accepts the documented shape and refuses others', () => {
      const valid = ajv.compile(partnerSegment.settingsSchema);
      expect(valid(settings)).to.equal(true);
      expect(valid({})).to.equal(true);
      expect(valid({ byCountry: { de: 'dach' } })).to.equal(false);
      expect(valid({ bySource: { email: 42 } })).to.equal(false);
      expect(valid({ bySource: { email: '' } })).to.equal(false);
      expect(valid({ byDevice: {} })).to.equal(false);
    });
  });
});
