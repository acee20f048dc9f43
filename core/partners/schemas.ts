import { displayName } from '../http/validate.ts';
import { PARTNER_SCOPES } from '../http/route.ts';
import { handleParam } from '../http/handle.ts';

export const PARTNER_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
export const PARTNER_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export const MAX_MONEY = 999_999_999_999.99; // numeric(14, 2)

/**
 * The breakdowns the partner realm offers: the handle's own minus `partner` (a partner sees only
 * itself), plus the sub-IDs of its own clicks.
 */
export const PARTNER_GROUP_BY = ['country', 'segment', 'referrer', 'source', 'browser', 'os', 'day', 'hour', 'campaign', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;
export type PartnerGroupBy = (typeof PARTNER_GROUP_BY)[number];

export const partnerIdParam = { type: 'string', pattern: PARTNER_ID_PATTERN } as const;
export const partnerParams = { type: 'object', properties: { handle: handleParam, partnerId: partnerIdParam } } as const;
export const partnerTokenParams = {
  type: 'object',
  properties: { handle: handleParam, partnerId: partnerIdParam, tokenId: { type: 'string', format: 'uuid' } },
} as const;

const name = displayName;
const email = { type: ['string', 'null'], format: 'email', maxLength: 320 } as const;
const money = {
  type: 'number', minimum: 0, maximum: MAX_MONEY,
  description: 'The minimum payout: a decimal amount with no currency of its own, at most 2 fraction digits (stored as numeric(14, 2)). '
    + 'A payout run compares it with each currency\'s balance on its own, never converted: 50 means 50 USD for a USD payout, 50 EUR for a EUR one.',
} as const;

export const createPartnerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['partnerId', 'name'],
  properties: {
    partnerId: partnerIdParam,
    name,
    email,
    status: { enum: [...PARTNER_STATUSES], default: 'ACTIVE' },
    minimumPayout: { ...money, default: 0 },
  },
} as const;

export const patchPartnerBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name, email, status: { enum: [...PARTNER_STATUSES] }, minimumPayout: money },
} as const;

export const listPartnersQuery = { status: { enum: [...PARTNER_STATUSES] } } as const;

const dateTime = { type: 'string', format: 'date-time' } as const;

export const partnerResponse = {
  title: 'Partner',
  type: 'object',
  additionalProperties: false,
  required: ['partnerId', 'name', 'email', 'status', 'minimumPayout', 'createdAt', 'updatedAt'],
  properties: {
    partnerId: { type: 'string' }, name: { type: 'string' }, email: { type: ['string', 'null'] },
    status: { enum: [...PARTNER_STATUSES] },
    minimumPayout: { type: 'number', description: money.description },
    createdAt: dateTime, updatedAt: dateTime,
  },
};

export const createPartnerTokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name,
    scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PARTNER_SCOPES] }, default: ['partner.read'] },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const partnerTokenResponse = {
  title: 'PartnerToken',
  type: 'object',
  additionalProperties: false,
  required: ['tokenId', 'partnerId', 'name', 'scopes', 'expiresAt', 'createdAt', 'revokedAt'],
  properties: {
    tokenId: { type: 'string', format: 'uuid' }, partnerId: { type: 'string' }, name: { type: 'string' },
    scopes: { type: 'array', items: { enum: [...PARTNER_SCOPES] } },
    expiresAt: { type: ['string', 'null'], format: 'date-time' }, createdAt: dateTime, revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

/** Only the create answer holds the secret; lists and revocations never do. */
export const partnerTokenWithSecret = {
  ...partnerTokenResponse,
  title: 'PartnerTokenWithSecret',
  required: [...partnerTokenResponse.required, 'token'],
  properties: {
    ...partnerTokenResponse.properties,
    token: { type: 'string', description: 'Prefix tenx_ptk_; shown once, stored only as a SHA-256 hash.' },
  },
};
