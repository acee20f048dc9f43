/** Request and response schemas of `POST /v2/public/conversions` (validation and OpenAPI). */
import { currencyCode } from '../http/currencies.ts';

export const MAX_VALUE = 999_999_999_999.99; // numeric(14, 2)
export const METADATA_MAX_BYTES = 4096;

export const conversionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ctx', 'eventType', 'idempotencyKey'],
  properties: {
    // No length bounds here: any string that is not a valid token is a malformed ctx, 422 invalid_ctx.
    ctx: { type: 'string', description: 'The ctx token the redirect appended to the destination URL.' },
    eventType: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: "One of the campaign goal type's event types." },
    value: { type: 'number', minimum: 0, maximum: MAX_VALUE, description: 'Decimal amount, at most 2 fraction digits.' },
    currency: { ...currencyCode, description: "ISO-4217 code; defaults to the handle's reporting currency when value is given." },
    // Printable: any character outside Unicode's "other" categories (controls, surrogates, unassigned).
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\p{C}]*$', description: 'A transaction or order id; repeats within the retention window are deduplicated.' },
    metadata: { type: 'object', maxProperties: 50, description: `Free-form JSON object, at most ${METADATA_MAX_BYTES} bytes serialized.` },
  },
} as const;

const WITHHELD = "null (with value, currency and the sub-IDs) on a 200 answering a submission without the merchant's token whose ctx is of another click than the original's: " +
  'the ctx proves its own click only, so another click\'s conversion (another partner\'s campaign, its order value) is not shown; conversionId, deduped and mismatch are.';

const subId = { type: ['string', 'null'], description: "Inherited from the conversion's click (null: none, or no click row)." };
const subIdProperties = { sub1: subId, sub2: subId, sub3: subId, sub4: subId, sub5: subId };

const conversionProperties = {
  conversionId: { type: 'string', format: 'uuid' },
  deduped: { type: 'boolean' },
  mismatch: { type: 'boolean', description: 'Present (true) when a repeat body differs from the original.' },
  clickId: { type: ['string', 'null'], format: 'uuid', description: WITHHELD },
  campaignId: { type: ['string', 'null'], description: WITHHELD },
  eventType: { type: 'string' },
  value: { type: ['number', 'null'] },
  currency: { type: ['string', 'null'] },
  ...subIdProperties,
  authenticated: { type: 'boolean', description: "Posted by the merchant's server with a token holding conversions.write." },
  createdAt: { type: 'string', format: 'date-time' },
};

export const conversionResponse = {
  title: 'Conversion',
  type: 'object',
  additionalProperties: false,
  required: ['conversionId', 'deduped', 'clickId', 'campaignId', 'eventType', 'value', 'currency', 'authenticated', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'createdAt'],
  properties: conversionProperties,
};

export const conversionResponses = {
  201: { description: 'Recorded a new conversion', schema: conversionResponse },
  200: { description: 'The idempotency key was seen before: the original conversion, deduped (and mismatch when the body differs)', schema: conversionResponse },
  400: { description: 'invalid_request: the body failed validation (e.g. a currency that is not ISO-4217)' },
  401: { description: "unauthorized: an invalid, expired or revoked bearer token, one of another handle than the ctx's, or none when the handle's publicConversions is refuse" },
  403: { description: 'insufficient_scope: the bearer token lacks conversions.write' },
  422: { description: 'invalid_ctx, ctx_expired, event_type_not_allowed, value_out_of_range (above the campaign\'s maxConversionValue) or too_many_conversions_for_click' },
  429: { description: 'rate_limited: too many requests from this client IP (see retry-after)' },
};
