import { displayName } from '../http/validate.ts';
import { currencyCode } from '../http/currencies.ts';
import { handleParam, handleParams, RESERVED_HANDLES } from '../http/handle.ts';
import { SCOPES } from '../http/route.ts';
import { PUBLIC_CONVERSIONS } from './settings.ts';

const currency = currencyCode;

const publicConversions = {
  enum: [...PUBLIC_CONVERSIONS],
  description: "What a conversion posted with a ctx only (no merchant token) gets: accept (counted, verified when its click is), "
    + 'flag (recorded with authenticated: false, never verified; the default for new handles), refuse (401).',
} as const;

export const createHandleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['handle', 'name'],
  properties: {
    handle: { ...handleParam, not: { enum: RESERVED_HANDLES } },
    name: displayName,
    reportingCurrency: { ...currency, default: 'USD' },
    publicConversions: { ...publicConversions, default: 'flag' },
  },
} as const;

export const patchHandleBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: displayName,
    publicConversions,
  },
} as const;

export const tenantResponse = {
  title: 'Handle',
  type: 'object',
  additionalProperties: false,
  required: ['handle', 'name', 'reportingCurrency', 'publicConversions', 'createdAt'],
  properties: {
    handle: { type: 'string' }, name: { type: 'string' }, reportingCurrency: { type: 'string' }, publicConversions: { enum: [...PUBLIC_CONVERSIONS] },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

/** Only the creation answer holds the owner token. */
export const createdTenantResponse = {
  ...tenantResponse,
  title: 'CreatedHandle',
  required: [...tenantResponse.required, 'ownerToken'],
  properties: {
    ...tenantResponse.properties,
    ownerToken: { type: 'string', description: 'A PAT (tenx_pat_...) with every scope; shown only in this response.' },
  },
};

/** Path params of .../tokens/{tokenId} routes. */
export const tokenParams = { type: 'object', properties: { ...handleParams.properties, tokenId: { type: 'string', format: 'uuid' } } } as const;

export const createTokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'scopes'],
  properties: {
    name: displayName,
    scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SCOPES] } },
    expiresAt: {
      type: 'string', format: 'date-time',
      description: "No later than the calling token's own expiry (422 expiry_exceeds_token); omitted: the calling token's expiry (never, for the owner).",
    },
  },
} as const;

export const tokenResponse = {
  title: 'Token',
  type: 'object',
  additionalProperties: false,
  required: ['tokenId', 'name', 'scopes', 'expiresAt', 'createdAt', 'revokedAt'],
  properties: {
    tokenId: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } },
    expiresAt: { type: ['string', 'null'], format: 'date-time' }, createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    owner: { type: 'boolean', description: "The handle's owner token: every scope, rotated (POST .../rotate), never revoked." },
  },
};

/** Creation and rotation answers: the token with its secret (lists and revocations never hold it). */
export const tokenWithSecretResponse = {
  ...tokenResponse,
  title: 'TokenWithSecret',
  required: [...tokenResponse.required, 'token'],
  properties: {
    ...tokenResponse.properties,
    token: { type: 'string', description: 'Shown once (at creation and at each rotation); stored only as a SHA-256 hash.' },
  },
};

export const currentTokenResponse = {
  title: 'CurrentToken',
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'handle', 'tokenId', 'name', 'scopes', 'expiresAt', 'createdAt'],
  properties: {
    kind: { enum: ['pat', 'admin'], description: 'A personal access token, or the operator admin token (every scope).' },
    handle: { type: 'string' },
    tokenId: { type: ['string', 'null'] }, name: { type: ['string', 'null'] }, scopes: { type: 'array', items: { type: 'string' } },
    expiresAt: { type: ['string', 'null'], format: 'date-time' }, createdAt: { type: ['string', 'null'], format: 'date-time' },
    owner: { type: 'boolean' },
  },
};
