import { handleParam } from '../http/handle.ts';
import { instant } from '../http/validate.ts';
import { ID_PATTERN } from '../commissions/index.ts';

export const PAYOUT_STATUSES = ['pending', 'paid', 'canceled'] as const;

export const payoutParams = {
  type: 'object',
  properties: { handle: handleParam, payoutId: { type: 'string', format: 'uuid' } },
} as const;

export const runPayoutsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['idempotencyKey'],
  properties: {
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\p{C}]*$', description: 'The same key again answers 200 with the same payouts.' },
    periodEnd: { ...instant, description: 'Commissions (and clawbacks) with holdUntil at or before it; default now.' },
    partnerIds: { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: { type: 'string', pattern: ID_PATTERN } },
  },
} as const;

export const listPayoutsQuery = {
  status: { enum: [...PAYOUT_STATUSES] },
  partnerId: { type: 'string', pattern: ID_PATTERN },
} as const;

export const statementQuery = {
  properties: { format: { enum: ['csv', 'ndjson'], default: 'csv' } },
} as const;

export const markPaidBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reference: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\p{C}]*$', description: "The payment's reference (bank transfer id)." } },
} as const;

const dateTime = { type: 'string', format: 'date-time' } as const;

export const payoutResponse = {
  title: 'Payout',
  type: 'object',
  additionalProperties: false,
  required: ['payoutId', 'partnerId', 'amount', 'currency', 'commissionCount', 'status', 'periodEnd', 'reference', 'createdAt', 'paidAt'],
  properties: {
    payoutId: { type: 'string', format: 'uuid' }, partnerId: { type: 'string' },
    amount: { type: 'number', description: 'Decimal amount, at most 2 fraction digits: the sum of its lines (clawbacks netted).' },
    currency: { type: 'string' },
    commissionCount: { type: 'integer' }, status: { enum: [...PAYOUT_STATUSES] }, periodEnd: dateTime,
    reference: { type: ['string', 'null'] }, createdAt: dateTime, paidAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export const payoutRunResponse = {
  title: 'PayoutRun',
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: { data: { type: 'array', items: payoutResponse, description: 'One payout per partner and currency, by partnerId then currency.' } },
};
