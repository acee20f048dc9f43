import { defineRoutes } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import {
  createdTenantResponse, createHandleBody, createTokenBody, currentTokenResponse, patchHandleBody, tenantResponse, tokenParams, tokenResponse,
  tokenWithSecretResponse,
} from './schemas.ts';
import type { TenantService } from './service.ts';
import type { HandlePatch, HandleSettingsService } from './settings.ts';
import { expiryProblems } from './token-rules.ts';

type Deps = { tenants: TenantService; handleSettings: HandleSettingsService };

export const tenantRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/handles',
    summary: 'Create a handle (tenant); returns its owner token once',
    tags: ['tenants'],
    auth: 'admin',
    body: createHandleBody,
    responses: { 201: { description: 'Created, with the owner token (shown once)', schema: createdTenantResponse }, 409: { description: 'conflict: the handle exists' } },
    async handler(ctx, { tenants }: Deps) {
      ctx.status = 201;
      ctx.body = await tenants.createHandle(ctx.request.body as never);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}',
    summary: 'Get a handle: its name, reporting currency and publicConversions (any valid token of the handle may ask: every page of the dashboard shows the name)',
    tags: ['tenants'],
    auth: 'token',
    params: handleParams,
    responses: { 200: { description: 'The handle', schema: tenantResponse } },
    async handler(ctx, { handleSettings }: Deps) {
      ctx.body = await handleSettings.get(ctx.params.handle);
    },
  },
  {
    method: 'PATCH',
    path: '/v2/handles/{handle}',
    summary:
      "Change a handle's name or publicConversions (what ctx-only conversions get). conversions.write may tighten publicConversions (accept → flag → refuse); a rename or a loosening takes a token holding every scope",
    tags: ['tenants'],
    // The scope that records conversions may make fewer ctx-only ones count (a merchant locking down a squatted shop);
    // renaming the handle, or trusting ctx-only submissions more, is the owner's (HandleSettingsService.authorize).
    auth: { scope: 'conversions.write' },
    params: handleParams,
    body: patchHandleBody,
    responses: {
      200: { description: 'The handle', schema: tenantResponse },
      403: { description: 'insufficient_scope: a rename or a loosening of publicConversions by a token that lacks one of the scopes' },
    },
    async handler(ctx, { handleSettings }: Deps) {
      ctx.body = await handleSettings.update(ctx.params.handle, ctx.request.body as HandlePatch);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/tokens',
    summary: 'Create a personal access token (scopes within, expiry no later than, the calling token\'s); the secret is shown once',
    tags: ['tokens'],
    auth: { scope: 'tokens.write' },
    params: handleParams,
    body: createTokenBody,
    nullMeansAbsent: ['expiresAt'],
    moreBodyProblems: expiryProblems,
    responses: {
      201: { description: 'Created, with its secret (shown once)', schema: tokenWithSecretResponse },
      403: { description: 'insufficient_scope: a scope the calling token does not hold itself' },
      422: { description: 'expiry_exceeds_token: expiresAt later than the calling token\'s own expiry' },
    },
    async handler(ctx, { tenants }: Deps) {
      ctx.status = 201;
      ctx.body = await tenants.createToken(ctx.params.handle, ctx.request.body as never);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/tokens/current',
    summary: 'The calling token: its scopes and expiry (any valid token of the handle may ask; the admin token answers as the operator)',
    tags: ['tokens'],
    auth: 'token',
    params: handleParams,
    responses: { 200: { description: 'The token, without its secret', schema: currentTokenResponse } },
    async handler(ctx, { tenants }: Deps) {
      ctx.body = await tenants.currentToken(ctx.params.handle);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/tokens',
    summary: 'List tokens (never their secrets)',
    tags: ['tokens'],
    auth: { scope: 'tokens.write' },
    params: handleParams,
    query: { properties: { ...pageQuery } },
    responses: { 200: { description: 'A page of tokens', schema: pageOf(tokenResponse) } },
    async handler(ctx, { tenants }: Deps) {
      ctx.body = await tenants.listTokens(ctx.params.handle, ctx.state.query.limit, ctx.state.query.cursor);
    },
  },
  {
    method: 'DELETE',
    path: '/v2/handles/{handle}/tokens/{tokenId}',
    summary: 'Revoke a token (the caller must hold every scope of it, or be the owner); the owner token is rotated, never revoked',
    tags: ['tokens'],
    auth: { scope: 'tokens.write' },
    params: tokenParams,
    responses: {
      200: { description: 'Revoked', schema: tokenResponse },
      403: { description: 'insufficient_scope: the target has a scope the calling token lacks' },
      409: { description: 'The owner token cannot be revoked; rotate it' },
    },
    async handler(ctx, { tenants }: Deps) {
      ctx.body = await tenants.revokeToken(ctx.params.handle, ctx.params.tokenId);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/tokens/{tokenId}/rotate',
    summary: 'Replace a token\'s secret (same id, scopes and expiry); the new secret is shown once and the old one stops working at once',
    tags: ['tokens'],
    auth: { scope: 'tokens.write' },
    params: tokenParams,
    responses: {
      200: { description: 'The token with its new secret', schema: tokenWithSecretResponse },
      403: { description: 'The target has a scope the calling token lacks (insufficient_scope), or (forbidden) it is the owner token and the caller is neither it nor the operator, or it expires later than the calling token (or never)' },
      409: { description: 'The token is revoked' },
    },
    async handler(ctx, { tenants }: Deps) {
      ctx.body = await tenants.rotateToken(ctx.params.handle, ctx.params.tokenId);
    },
  },
]);
