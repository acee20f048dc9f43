import { MAX_RULES, routingRulesSchema } from './routing-rules.ts';
import { handleParam } from '../http/handle.ts';

export const CAMPAIGN_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
export const SLUG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const STATUSES = ['DRAFT', 'ACTIVE', 'PAUSED', 'ARCHIVED'] as const;

// No `format: uri`: it refuses what browsers follow (https://münchen.example/größe). The service parses it as a
// browser does (WHATWG URL), insists on http(s) and a host, and stores the ASCII href.
const destinationUrl = {
  type: 'string', minLength: 1, maxLength: 2048,
  description: 'An absolute http(s) URL; non-ASCII hosts and paths are stored as the browser sends them (punycode, percent-encoding).',
} as const;
const title = { type: ['string', 'null'], maxLength: 200 } as const;
const attributionWindowDays = { type: 'integer', minimum: 1, maximum: 365 } as const;
const partnerId = {
  type: ['string', 'null'], pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  description: 'The partner whose campaign this is (null: none); an unknown partner is 422 unknown_partner.',
} as const;
// numeric(14, 2), like a conversion's value; null (PATCH) removes the bound.
const maxConversionValue = {
  type: ['number', 'null'], minimum: 0, maximum: 999_999_999_999.99,
  description: 'Conversions of this campaign with a larger value (in any currency) are refused: 422 value_out_of_range.',
} as const;

/**
 * The request-level shape of routing rules: built-in conditions are checked here, extra kinds are
 * allowed through and checked by the service against the goal type's own condition schemas.
 */
function openRoutingRules() {
  const schema = routingRulesSchema() as { items: { properties: { conditions: Record<string, unknown> } } };
  const conditions = schema.items.properties.conditions;
  conditions.additionalProperties = true;
  conditions.description = 'All present conditions must hold. Goal-type plugins may add condition kinds.';
  return { ...schema, description: `At most ${MAX_RULES} rules; the lowest matching priority wins (of equal priorities, the one listed first), else primaryLink.destinationUrl.` };
}

export const campaignParams = {
  type: 'object',
  properties: { handle: handleParam, campaignId: { type: 'string', pattern: CAMPAIGN_ID_PATTERN } },
} as const;

export const createCampaignBody = {
  type: 'object',
  additionalProperties: false,
  required: ['campaignId', 'goalType', 'primaryLink'],
  properties: {
    campaignId: { type: 'string', pattern: CAMPAIGN_ID_PATTERN },
    goalType: { type: 'string', minLength: 1, maxLength: 64, description: 'A goal-type plugin enabled for the handle, e.g. AFFILIATE_CLICKOUT.' },
    status: { enum: [...STATUSES], default: 'DRAFT' },
    primaryLink: {
      type: 'object',
      additionalProperties: false,
      required: ['slug', 'destinationUrl'],
      properties: { slug: { type: 'string', pattern: SLUG_PATTERN }, destinationUrl, title },
    },
    routingRules: { ...openRoutingRules(), default: [] },
    attributionWindowDays: { ...attributionWindowDays, default: 30 },
    maxConversionValue,
    partnerId,
  },
} as const;

export const patchCampaignBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    status: { enum: [...STATUSES] },
    title,
    destinationUrl,
    routingRules: openRoutingRules(),
    attributionWindowDays,
    maxConversionValue,
    partnerId,
  },
} as const;

export const listCampaignsQuery = {
  status: { enum: [...STATUSES] },
  partnerId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: "Only this partner's campaigns." },
} as const;

export const campaignResponse = {
  title: 'Campaign',
  type: 'object',
  additionalProperties: false,
  required: ['campaignId', 'goalType', 'status', 'trackingPreset', 'conversionEvent', 'primaryLink', 'routingRules', 'attributionWindowDays', 'createdAt', 'updatedAt'],
  properties: {
    campaignId: { type: 'string' },
    goalType: { type: 'string' },
    status: { enum: [...STATUSES] },
    trackingPreset: { type: 'string', description: "Derived from the goal type (AFFILIATE_CLICKOUT → custom_webhook)." },
    conversionEvent: { type: 'string', description: 'Derived from the goal type (AFFILIATE_CLICKOUT → affiliate_click).' },
    primaryLink: {
      type: 'object',
      additionalProperties: false,
      required: ['slug', 'destinationUrl', 'title', 'shortUrl'],
      properties: {
        slug: { type: 'string' }, destinationUrl: { type: 'string' }, title: { type: ['string', 'null'] },
        shortUrl: { type: 'string', description: 'PUBLIC_URL/{handle}/{slug}' },
      },
    },
    routingRules: {
      type: 'array',
      items: {
        title: 'RoutingRule',
        type: 'object',
        additionalProperties: false,
        required: ['priority', 'destinationUrl', 'conditions'],
        properties: {
          priority: { type: 'integer' },
          destinationUrl: { type: 'string' },
          conditions: { type: 'object', description: 'sourceIn, countryIn, deviceIn, languageIn, and the kinds goal-type plugins add.' },
        },
      },
    },
    attributionWindowDays: { type: 'integer' },
    maxConversionValue: { type: ['number', 'null'] },
    partnerId: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};
