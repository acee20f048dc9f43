import { GROUP_BY } from './group-by.ts';
import { SUB_ID_GROUP_BY } from './sub-id-group-by.ts';
import { HOURLY_MAX_DAYS } from './range.ts';
import { instant } from '../http/validate.ts';

const WINDOW_NOTE =
  'The window is [from, to), exact to the millisecond (whole hours are read from the hourly rollups, the partial hours at ' +
  'either end from the raw rows), so successive windows never count a click twice. Clicks count by the time they ' +
  'happened, conversions by the time they were recorded.';

export const campaignIdParam = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  description: 'Only this campaign (404 if the handle has no such campaign).',
} as const;

export const partnerIdQuery = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  description: "Only this partner's numbers: its campaigns while it held them (a campaign that changed partner counts for each holder over its own time; 404 if the handle has no such partner).",
} as const;

/** The window every analytics view takes (the partner realm's too, whose partnerId may name only the caller). */
export const windowQuery = {
  campaignId: campaignIdParam,
  from: { ...instant, description: `Start (inclusive). ${WINDOW_NOTE}` },
  to: { ...instant, description: `End (exclusive). ${WINDOW_NOTE}` },
  includeArchived: {
    type: 'boolean',
    default: false,
    description: 'Also cover ARCHIVED campaigns (they are left out unless asked for by campaignId).',
  },
} as const;

const GROUP_BY_NOTE =
  'Breakdown by a dimension. `referrer` and `source` both group by the click\'s source channel ' +
  '(src, utm_source, else the mapped Referer host, else "direct"): the source channel is the referrer dimension. ' +
  '`browser` and `os` are lower-case names read from the click\'s User-Agent (`chrome`, `ios`; "unknown" when it does not say). ' +
  '`day` is the UTC date and `hour` the UTC hour\'s start (`2026-02-24T10:00:00Z`), both in chronological order; ' +
  `\`hour\` needs \`from\`, at most ${HOURLY_MAX_DAYS} days before \`to\` (else now), and answers 400 beyond that. ` +
  'The others are sorted by clicks, most first.';

/** The analytics query over a list of breakdowns (the handle's, or the partner realm's). */
export const analyticsQueryOf = (groupBy: readonly string[], extra: Record<string, unknown> = {}) => ({
  properties: {
    funnel: { type: 'boolean', description: 'Funnel rows per campaign plus totals. Use either funnel=true or groupBy.' },
    groupBy: { enum: [...groupBy], description: GROUP_BY_NOTE },
    ...windowQuery,
    ...extra,
  },
});

export const SUB_ID_NOTE =
  '`sub1`…`sub5` group by the sub-ID the link was followed with (requires campaignId or partnerId; clicks without it are under the key "").';

export const analyticsQuery = analyticsQueryOf([...GROUP_BY, ...SUB_ID_GROUP_BY], {
  groupBy: {
    enum: [...GROUP_BY, ...SUB_ID_GROUP_BY],
    description: `${GROUP_BY_NOTE} \`partner\` groups by the partner that held the campaign when each click or conversion happened ("" for none). ${SUB_ID_NOTE}`,
  },
  partnerId: partnerIdQuery,
});

export const exportQueryOf = (extra: Record<string, unknown> = {}) => ({
  properties: {
    format: { enum: ['csv', 'ndjson'], description: 'CSV (RFC 4180, header row first, formula-safe cells) or NDJSON.' },
    ...windowQuery,
    ...extra,
  },
  required: ['format'],
});

export const exportQuery = exportQueryOf({ partnerId: partnerIdQuery });

export const streamQuery = {
  properties: { campaignId: campaignIdParam, partnerId: partnerIdQuery },
};

const money = { type: 'number', description: 'In the handle\'s reporting currency.' };
const metrics = {
  clicks: { type: 'integer' },
  qualifiedClicks: { type: 'integer', description: 'Clicks not flagged as bots.' },
  conversions: { type: 'integer' },
  verifiedConversions: { type: 'integer', description: "Conversions whose click was found and not flagged as a bot, posted by the merchant's server or on a handle whose publicConversions is accept." },
  unauthenticatedConversions: { type: 'integer', description: "Conversions posted with a ctx only, without the merchant's token (never verified unless publicConversions is accept)." },
  revenue: money,
  revenueByCurrency: {
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Conversion value per currency. Only the reporting currency counts in `revenue`: there is no FX source, so other currencies are never converted.',
  },
  commission: {
    type: 'object', additionalProperties: { type: 'number' },
    description: "A partner's rows only (partner realm, or the partnerId filter with a token holding commissions.read): its commissions created in the window by currency (pending, approved and paid, net of adjustments and clawbacks).",
  },
  reversals: { type: 'integer', description: 'Reversals (refunds, chargebacks) recorded in the window.' },
  netRevenue: { ...money, description: "revenue minus the value reversed in the window, in the reporting currency (the same currency rule as revenue)." },
  netRevenueByCurrency: {
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'revenueByCurrency minus the value reversed in the window, per currency, so that a refund in another currency than the reporting one shows too (netRevenue is its reporting-currency entry). ' +
      'A currency with reversals and no revenue in the window is negative.',
  },
  conversionRate: { type: 'number', description: 'conversions / qualifiedClicks (0 without a qualified click), not rounded.' },
  botRatio: { type: 'number', description: '(clicks − qualifiedClicks) / clicks (0 without clicks), not rounded.' },
  confidence: { type: 'integer', minimum: 0, maximum: 100, description: 'Data quality score; below 50 warrants investigation.' },
  confidenceReasons: { type: 'array', items: { type: 'string' } },
  lastClickAt: { type: ['string', 'null'], format: 'date-time', description: 'Latest click ever recorded (not limited to the window).' },
};

// `commission` is present only on a partner's rows (realm, or the partnerId filter).
const metricNames = Object.keys(metrics).filter((k) => k !== 'commission');

export const funnelRow = {
  title: 'FunnelRow',
  type: 'object',
  additionalProperties: false,
  required: ['campaignId', 'partnerId', ...metricNames],
  properties: { campaignId: { type: 'string' }, partnerId: { type: ['string', 'null'] }, ...metrics },
};

/** funnel=true: rows per campaign and their totals (a breakdown has no totals, and rows with a key). */
export const funnelResponse = {
  title: 'Funnel',
  type: 'object',
  additionalProperties: false,
  required: ['data', 'totals'],
  properties: {
    data: { type: 'array', items: funnelRow },
    totals: { title: 'FunnelTotals', type: 'object', additionalProperties: false, required: metricNames, properties: metrics },
  },
};

export const groupByResponse = {
  title: 'Breakdown',
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      items: {
        title: 'BreakdownRow',
        type: 'object',
        additionalProperties: false,
        required: ['key', 'clicks', 'qualifiedClicks', 'conversions', 'revenue'],
        properties: {
          key: { type: 'string' },
          clicks: { type: 'integer' },
          qualifiedClicks: { type: 'integer' },
          conversions: { type: 'integer' },
          revenue: money,
          revenueByCurrency: metrics.revenueByCurrency,
        },
      },
    },
  },
};

export const analyticsResponse = { oneOf: [funnelResponse, groupByResponse] };
