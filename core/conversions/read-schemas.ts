/** Schemas of the conversion read and reversal routes (API.md "Conversions, read and reversed"). */
import { handleParam } from '../http/handle.ts';
import { ID_PATTERN, commissionResponse } from '../commissions/index.ts';
import { MAX_VALUE } from './schemas.ts';
import { WINDOW_QUERY } from '../http/time-window.ts';

export const CONVERSION_STATUSES = ['recorded', 'partially_reversed', 'reversed'] as const;
export const REVERSAL_REASONS = ['refund', 'chargeback', 'fraud', 'other'] as const;
const id = { type: 'string', pattern: ID_PATTERN } as const;
const nullableText = { type: ['string', 'null'] };

export const listConversionsQuery = {
  campaignId: id,
  partnerId: id,
  ...WINDOW_QUERY,
  status: { enum: [...CONVERSION_STATUSES] },
} as const;

/** Handle routes only: the partner realm never sees the merchant's keys (reader.ts). */
export const handleConversionsQuery = {
  ...listConversionsQuery,
  idempotencyKey: {
    type: 'string', minLength: 1, maxLength: 255,
    description: "Only the conversion the merchant posted with this key (its order id): the one a refund is about.",
  },
} as const;

export const conversionParams = {
  type: 'object',
  properties: { handle: handleParam, conversionId: { type: 'string', format: 'uuid' } },
} as const;

const dateTime = { type: 'string', format: 'date-time' } as const;

export const storedConversion = {
  title: 'StoredConversion',
  type: 'object',
  additionalProperties: false,
  required: [
    'conversionId', 'clickId', 'campaignId', 'partnerId', 'eventType', 'value', 'currency', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5',
    'authenticated', 'clickIsBot', 'reversedValue', 'status', 'createdAt',
  ],
  properties: {
    conversionId: { type: 'string', format: 'uuid' },
    idempotencyKey: {
      type: 'string',
      description: "The merchant's key (its order id), which POST .../conversions/reversals may name the conversion by. Handle routes only: never in the partner realm.",
    },
    clickId: {
      type: ['string', 'null'], format: 'uuid',
      description: "The click's id; in the partner realm null for a click made before the partner held the campaign (another partner's).",
    },
    campaignId: { type: 'string' },
    partnerId: { ...nullableText, description: "The campaign's partner when the conversion was recorded." },
    eventType: { type: 'string' }, value: { type: ['number', 'null'] }, currency: nullableText,
    sub1: nullableText, sub2: nullableText, sub3: nullableText, sub4: nullableText, sub5: nullableText,
    authenticated: { type: 'boolean' }, clickIsBot: { type: 'boolean' },
    reversedValue: { type: 'number', description: 'What reversals took back so far.' },
    status: { enum: [...CONVERSION_STATUSES] },
    createdAt: dateTime,
  },
};

export const reversalBody = {
  type: 'object',
  additionalProperties: false,
  // idempotencyKey (API.md) or conversionId: exactly one, checked by the service (a 400 naming idempotencyKey).
  required: ['reversalKey', 'reason'],
  properties: {
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255, description: "The conversion's idempotencyKey (the merchant's order id). Either this or conversionId." },
    conversionId: {
      type: 'string', format: 'uuid',
      description: "The conversion's id, as the conversion lists return it (beyond API.md): names exactly one conversion, also where a key was reused after its retention. Either this or idempotencyKey.",
    },
    reversalKey: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\p{C}]*$', description: 'Idempotency of this reversal.' },
    amount: { type: 'number', exclusiveMinimum: 0, maximum: MAX_VALUE, description: 'Default: all that is not yet reversed. At most 2 fraction digits.' },
    reason: { enum: [...REVERSAL_REASONS] },
    note: { type: 'string', maxLength: 1000 },
  },
} as const;

export const reversalResponse = {
  title: 'Reversal',
  type: 'object',
  additionalProperties: false,
  required: ['reversalId', 'conversionId', 'amount', 'currency', 'reason', 'note', 'createdAt', 'commissions'],
  properties: {
    reversalId: { type: 'string', format: 'uuid' }, conversionId: { type: 'string', format: 'uuid' },
    amount: { type: 'number' }, currency: nullableText, reason: { enum: [...REVERSAL_REASONS] }, note: nullableText,
    createdAt: dateTime,
    deduped: { const: true, description: 'Present (true) when the reversalKey was seen before: the original reversal.' },
    mismatch: { const: true, description: 'Present (true) when a repeat asked for another conversion, amount, reason or note than the original.' },
    commissions: { type: 'array', items: commissionResponse, description: 'The commission rows it created or changed.' },
  },
};
