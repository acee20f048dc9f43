import { defineRoutes } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import {
  createPartnerBody, createPartnerTokenBody, listPartnersQuery, partnerParams, partnerResponse, partnerTokenParams,
  partnerTokenResponse, partnerTokenWithSecret, patchPartnerBody,
} from './schemas.ts';
import type { PartnerService } from './service.ts';
import { centsProblems } from '../commissions/index.ts';
import { expiryProblems } from '../tenants/index.ts';

type Deps = { partners: PartnerService };

/** A handle's partners and their tokens, for handle tokens (the partner realm is realm-routes.ts). */
export const partnerRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/handles/{handle}/partners',
    summary: 'Create a partner',
    tags: ['partners'],
    auth: { scope: 'partners.write' },
    params: handleParams,
    body: createPartnerBody,
    moreBodyProblems: (body) => centsProblems(body, 'minimumPayout'),
    responses: {
      201: { description: 'Created', schema: partnerResponse },
      409: { description: 'conflict: the handle already has a partner with this partnerId' },
    },
    async handler(ctx, { partners }: Deps) {
      ctx.status = 201;
      ctx.body = await partners.create(ctx.params.handle, ctx.request.body as never);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partners',
    summary: 'List partners (optionally by status), by partnerId',
    tags: ['partners'],
    auth: { scope: 'partners.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...listPartnersQuery } },
    responses: { 200: { description: 'A page of partners', schema: pageOf(partnerResponse) } },
    async handler(ctx, { partners }: Deps) {
      ctx.body = await partners.list(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partners/{partnerId}',
    summary: 'Get a partner',
    tags: ['partners'],
    auth: { scope: 'partners.read' },
    params: partnerParams,
    responses: { 200: { description: 'The partner', schema: partnerResponse } },
    async handler(ctx, { partners }: Deps) {
      ctx.body = await partners.get(ctx.params.handle, ctx.params.partnerId);
    },
  },
  {
    method: 'PATCH',
    path: '/v2/handles/{handle}/partners/{partnerId}',
    summary: 'Change name, email, status or minimumPayout (a SUSPENDED partner\'s links keep redirecting)',
    tags: ['partners'],
    auth: { scope: 'partners.write' },
    params: partnerParams,
    body: patchPartnerBody,
    moreBodyProblems: (body) => centsProblems(body, 'minimumPayout'),
    responses: { 200: { description: 'The updated partner', schema: partnerResponse } },
    async handler(ctx, { partners }: Deps) {
      ctx.body = await partners.update(ctx.params.handle, ctx.params.partnerId, ctx.request.body as never);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/partners/{partnerId}/tokens',
    summary: 'Create a partner token (tenx_ptk_...) for the partner realm; the secret is shown once',
    tags: ['partners'],
    auth: { scope: 'partners.write' },
    params: partnerParams,
    body: createPartnerTokenBody,
    nullMeansAbsent: ['expiresAt'],
    moreBodyProblems: expiryProblems,
    responses: {
      201: { description: 'Created (the secret is never shown again)', schema: partnerTokenWithSecret },
      422: { description: "expiry_exceeds_token: expiresAt later than the calling token's own expiry (omitted: the calling token's expiry)" },
    },
    async handler(ctx, { partners }: Deps) {
      ctx.status = 201;
      ctx.body = await partners.createToken(ctx.params.handle, ctx.params.partnerId, ctx.request.body as never);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partners/{partnerId}/tokens',
    summary: 'List a partner\'s tokens (never their secrets)',
    tags: ['partners'],
    auth: { scope: 'partners.write' },
    params: partnerParams,
    query: { properties: { ...pageQuery } },
    responses: { 200: { description: 'A page of partner tokens', schema: pageOf(partnerTokenResponse) } },
    async handler(ctx, { partners }: Deps) {
      ctx.body = await partners.listTokens(ctx.params.handle, ctx.params.partnerId, ctx.state.query.limit, ctx.state.query.cursor);
    },
  },
  {
    method: 'DELETE',
    path: '/v2/handles/{handle}/partners/{partnerId}/tokens/{tokenId}',
    summary: 'Revoke a partner token (open partner streams end within a poll)',
    tags: ['partners'],
    auth: { scope: 'partners.write' },
    params: partnerTokenParams,
    responses: { 200: { description: 'Revoked', schema: partnerTokenResponse } },
    async handler(ctx, { partners }: Deps) {
      ctx.body = await partners.revokeToken(ctx.params.handle, ctx.params.partnerId, ctx.params.tokenId);
    },
  },
]);
