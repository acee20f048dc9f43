import { currencyCode as currency } from '../http/currencies.ts';
import { handleParam } from '../http/handle.ts';
import { WINDOW_QUERY } from '../http/time-window.ts';

/** Ids a client chooses (rewardId) and partner ids: the same shape as campaign ids. */
export const ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
const id = { type: 'string', pattern: ID_PATTERN } as const;
export const MAX_AMOUNT = 999_999_999_999.99; // numeric(14, 2)
export const STATUSES = ['pending', 'approved', 'rejected', 'reversed', 'paid'] as const;
export const TYPES = ['click', 'conversion', 'adjustment', 'clawback'] as const;
export const BULK_MAX = 500;

const money = { type: 'number', description: 'Decimal amount, at most 2 fraction digits.' } as const;
const reason = { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^\\p{Cc}]*$' } as const;

export const rewardParams = {
  type: 'object',
  properties: { handle: handleParam, rewardId: id },
} as const;

export const putRewardBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scope', 'event', 'type'],
  properties: {
    scope: {
      type: 'object', additionalProperties: false,
      properties: { campaignId: id, partnerId: id },
      description: 'Empty: the whole handle. Most specific wins: partner + campaign, campaign, partner, handle.',
    },
    event: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: '"click" (per qualified click) or a conversion event type.' },
    type: { enum: ['flat', 'percent'] },
    amount: { ...money, exclusiveMinimum: 0, maximum: MAX_AMOUNT, description: 'flat: paid per event (per click for click rules).' },
    percent: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'percent: of the conversion value, two decimals at most.' },
    currency: { ...currency, description: "flat: the amount's currency (default the handle's reporting currency)." },
    holdDays: { type: 'integer', minimum: 0, maximum: 365, default: 30 },
  },
} as const;

const dateTime = { type: 'string', format: 'date-time' } as const;

export const rewardResponse = {
  title: 'Reward',
  type: 'object',
  additionalProperties: false,
  required: ['rewardId', 'scope', 'event', 'type', 'amount', 'percent', 'currency', 'holdDays', 'createdAt', 'updatedAt'],
  properties: {
    rewardId: { type: 'string' },
    scope: {
      type: 'object', additionalProperties: false, required: [],
      properties: { campaignId: { type: 'string' }, partnerId: { type: 'string' } },
      description: 'The rule\'s scope as given: no field is the whole handle.',
    },
    event: { type: 'string' }, type: { enum: ['flat', 'percent'] },
    amount: { type: ['number', 'null'], description: 'flat rules; null for percent.' },
    percent: { type: ['number', 'null'], description: 'percent rules; null for flat.' },
    currency: { type: ['string', 'null'], description: "flat rules' currency; null for percent (the conversion's)." },
    holdDays: { type: 'integer' },
    createdAt: dateTime, updatedAt: dateTime,
  },
};

export const commissionParams = {
  type: 'object',
  properties: { handle: handleParam, commissionId: { type: 'string', format: 'uuid' } },
} as const;

export const listCommissionsQuery = {
  status: { enum: [...STATUSES] },
  partnerId: id,
  campaignId: id,
  type: { enum: [...TYPES] },
  ...WINDOW_QUERY,
} as const;

const nullableText = { type: ['string', 'null'] } as const;

export const commissionResponse = {
  title: 'Commission',
  type: 'object',
  additionalProperties: false,
  required: [
    'commissionId', 'partnerId', 'campaignId', 'conversionId', 'type', 'eventType', 'quantity', 'amount', 'currency', 'status',
    'holdUntil', 'reason', 'payoutId', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'createdAt', 'updatedAt',
  ],
  properties: {
    commissionId: { type: 'string', format: 'uuid' }, partnerId: { type: 'string' }, campaignId: { type: 'string' },
    conversionId: { type: ['string', 'null'], description: 'null for click commissions.' }, type: { enum: [...TYPES] },
    eventType: { type: 'string', description: 'The conversion event, or "click".' },
    quantity: { type: 'integer', description: 'Qualified clicks of a click row; 1 for a conversion; 0 for adjustments and clawbacks.' },
    amount: { ...money, description: 'Negative for adjustments and clawbacks.' }, currency: { type: 'string' }, status: { enum: [...STATUSES] },
    holdUntil: dateTime, reason: nullableText, payoutId: { type: ['string', 'null'], format: 'uuid' },
    sub1: nullableText, sub2: nullableText, sub3: nullableText, sub4: nullableText, sub5: nullableText,
    createdAt: dateTime, updatedAt: dateTime,
  },
};

const commissionSummary = {
  title: 'CommissionSummary',
  type: 'object',
  additionalProperties: false,
  required: ['currency', 'status', 'count', 'amount'],
  properties: { currency: { type: 'string' }, status: { enum: [...STATUSES] }, count: { type: 'integer' }, amount: money },
};

export const commissionList = {
  title: 'CommissionPage',
  type: 'object',
  additionalProperties: false,
  required: ['data', 'nextCursor', 'summary'],
  properties: {
    data: { type: 'array', items: commissionResponse },
    nextCursor: { type: ['string', 'null'] },
    summary: { type: 'array', description: 'Over the whole filter (every page): count and amount by currency and status.', items: commissionSummary },
  },
};

export const patchCommissionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'reason'],
  properties: { status: { enum: ['approved', 'rejected'] }, reason },
} as const;

export const bulkCommissionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['commissionIds', 'status', 'reason'],
  properties: {
    commissionIds: { type: 'array', minItems: 1, maxItems: BULK_MAX, uniqueItems: true, items: { type: 'string', format: 'uuid' } },
    status: { enum: ['approved', 'rejected'] },
    reason,
  },
} as const;

/** The Error body's inner object, for a bulk result that failed (the contract's error shape). */
const bulkError = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: { code: { type: 'string', description: 'not_found or invalid_transition' }, message: { type: 'string' } },
};

export const bulkResponse = {
  title: 'BulkCommissionResult',
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      description: 'One result per id, in request order: status 200 with the commission, or 404/409 with an error.',
      items: {
        title: 'BulkCommissionItem',
        type: 'object',
        additionalProperties: false,
        required: ['commissionId', 'status'],
        properties: { commissionId: { type: 'string', format: 'uuid' }, status: { enum: [200, 404, 409] }, commission: commissionResponse, error: bulkError },
      },
    },
  },
};
