import { currencyCode as currency } from '../http/currencies.ts';
import { handleParam } from '../http/handle.ts';
import { instant } from '../http/validate.ts';

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

export const rewardResponse = {
  title: 'Reward',
  type: 'object',
  properties: {
    rewardId: { type: 'string' },
    scope: { type: 'object', properties: { campaignId: { type: 'string' }, partnerId: { type: 'string' } } },
    event: { type: 'string' }, type: { enum: ['flat', 'percent'] },
    amount: { type: ['number', 'null'] }, percent: { type: ['number', 'null'] }, currency: { type: ['string', 'null'] },
    holdDays: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
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
  from: instant,
  to: instant,
} as const;

export const commissionResponse = {
  title: 'Commission',
  type: 'object',
  properties: {
    commissionId: { type: 'string', format: 'uuid' }, partnerId: { type: 'string' }, campaignId: { type: 'string' },
    conversionId: { type: ['string', 'null'] }, type: { enum: [...TYPES] }, eventType: { type: 'string' },
    quantity: { type: 'integer' }, amount: { type: 'number' }, currency: { type: 'string' }, status: { enum: [...STATUSES] },
    holdUntil: { type: 'string', format: 'date-time' }, reason: { type: ['string', 'null'] }, payoutId: { type: ['string', 'null'] },
    sub1: { type: ['string', 'null'] }, sub2: { type: ['string', 'null'] }, sub3: { type: ['string', 'null'] },
    sub4: { type: ['string', 'null'] }, sub5: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
  },
};

export const commissionList = {
  title: 'CommissionPage',
  type: 'object',
  required: ['data', 'nextCursor', 'summary'],
  properties: {
    data: { type: 'array', items: commissionResponse },
    nextCursor: { type: ['string', 'null'] },
    summary: {
      type: 'array',
      description: 'Over the whole filter (every page): count and amount by currency and status.',
      items: { type: 'object', properties: { currency: { type: 'string' }, status: { type: 'string' }, count: { type: 'integer' }, amount: { type: 'number' } } },
    },
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

export const bulkResponse = {
  title: 'BulkCommissionResult',
  type: 'object',
  properties: {
    data: {
      type: 'array',
      description: 'One result per id, in request order: status 200 with the commission, or 404/409 with an error.',
      items: {
        type: 'object',
        properties: { commissionId: { type: 'string' }, status: { type: 'integer' }, commission: commissionResponse, error: { type: 'object' } },
      },
    },
  },
};
