import {
  analyticsQueryOf, analyticsResponse, answerAnalytics, answerExport, answerStream, exportQueryOf,
  type AnalyticsService, type AnalyticsStreams,
} from '../analytics/index.ts';
import { STATUSES } from '../campaigns/index.ts';
import { commissionList, listCommissionsQuery, type CommissionFilters, type CommissionLedger } from '../commissions/index.ts';
import { listConversionsQuery, storedConversion, type ConversionFilters, type ConversionReader } from '../conversions/index.ts';
import { answerStatement, listPayoutsQuery, payoutParams, payoutResponse, statementQuery, statementResponse, type PayoutService } from '../payouts/index.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { defineRoutes, type Principal } from '../http/route.ts';
import { handleParams } from '../http/handle.ts';
import type { PartnerRealm } from './realm.ts';
import { PARTNER_GROUP_BY, PARTNER_STATUSES, partnerTokenResponse } from './schemas.ts';

type Deps = {
  partnerRealm: PartnerRealm; analytics: AnalyticsService; analyticsStreams: AnalyticsStreams; principal: Principal;
  conversionReader: ConversionReader; commissionLedger: CommissionLedger; payouts: PayoutService;
};

/** The handle route's filters; `partnerId` may name only the token's own partner (PartnerRealm.ownFilters). */
const ownPartner = <T extends { partnerId?: object }>(q: T) => ({ ...q, partnerId: { ...q.partnerId, description: "The calling partner's own id (404 for any other); the realm lists only its own rows either way." } });

const REALM = 'partner realm';
const campaignIdQuery = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'One of the partner\'s campaigns (404 for any other).' } as const;
const partnerIdQuery = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: "The calling partner's own id (404 for any other); the realm covers only its own numbers either way." } as const;
/** The analytics views' filters: the caller's own campaigns, and partnerId only as itself (as on the lists). */
const realmFilters = { campaignId: campaignIdQuery, partnerId: partnerIdQuery };

const money = { type: 'number', description: 'Decimal amount, at most 2 fraction digits.' } as const;

const balance = {
  title: 'PartnerBalance',
  type: 'object',
  additionalProperties: false,
  required: ['currency', 'pending', 'approved', 'paid'],
  properties: {
    currency: { type: 'string' },
    pending: { ...money, description: 'Pending commissions (and their adjustments).' },
    approved: { ...money, description: 'Approved and not yet paid; clawbacks net it (it can be negative: carried forward).' },
    paid: money,
  },
};

const profileResponse = {
  title: 'PartnerProfile',
  type: 'object',
  additionalProperties: false,
  required: ['partnerId', 'name', 'status', 'balances'],
  properties: {
    partnerId: { type: 'string' }, name: { type: 'string' }, status: { enum: [...PARTNER_STATUSES] },
    balances: { type: 'array', description: 'Commission balances by currency (empty until commissions exist).', items: balance },
  },
};

const payoutTerms = {
  title: 'PartnerPayoutTerms',
  type: 'object',
  additionalProperties: false,
  required: ['minimumPayout'],
  properties: {
    minimumPayout: { ...money, description: "A payout run pays a currency's approved balance once it is above 0 and at least this (the same figure in every currency); less carries forward to a later run." },
  },
};

const realmCampaign = {
  title: 'PartnerCampaign',
  type: 'object',
  additionalProperties: false,
  required: ['campaignId', 'title', 'status', 'shortUrl'],
  properties: { campaignId: { type: 'string' }, title: { type: ['string', 'null'] }, status: { enum: [...STATUSES] }, shortUrl: { type: 'string' } },
};

/**
 * `/v2/handles/{handle}/partner/...`: partner tokens only (the partner
 * realm). The partner is the token's; analytics views get it as their partnerId filter.
 */
export const realmRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/token',
    summary: 'The calling partner token: its id, name, scopes and expiry, never its secret (what the portal may offer)',
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    responses: { 200: { description: 'The token', schema: partnerTokenResponse } },
    async handler(ctx, { partnerRealm }: Deps) {
      ctx.body = await partnerRealm.currentToken(ctx.params.handle);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner',
    summary: 'The calling partner: profile and commission balances',
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    responses: { 200: { description: 'The partner', schema: profileResponse } },
    async handler(ctx, { partnerRealm }: Deps) {
      ctx.body = await partnerRealm.profile(ctx.params.handle);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/payout-terms',
    summary: "What a payout run asks of the partner's approved balance: its minimum payout (beyond API.md)",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    responses: { 200: { description: 'The terms', schema: payoutTerms } },
    async handler(ctx, { partnerRealm }: Deps) {
      ctx.body = await partnerRealm.payoutTerms(ctx.params.handle);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/campaigns',
    summary: "The partner's campaigns and their short links",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, status: { enum: [...STATUSES] } } },
    responses: { 200: { description: 'A page of campaigns, by campaignId', schema: pageOf(realmCampaign) } },
    async handler(ctx, { partnerRealm }: Deps) {
      ctx.body = await partnerRealm.campaigns(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/conversions',
    summary: "The partner's own conversions (with their value: what its links earned), newest first",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...ownPartner(listConversionsQuery) } },
    responses: { 200: { description: "A page of the partner's conversions", schema: pageOf(storedConversion) } },
    async handler(ctx, { conversionReader, partnerRealm }: Deps) {
      ctx.body = await conversionReader.list(ctx.params.handle, await partnerRealm.ownFilters(ctx.params.handle, ctx.state.query as ConversionFilters), true);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/commissions',
    summary: "The partner's own commissions, newest first, with a summary by currency and status",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...ownPartner(listCommissionsQuery) } },
    responses: { 200: { description: "A page of the partner's commissions and the summary", schema: commissionList } },
    async handler(ctx, { commissionLedger, partnerRealm }: Deps) {
      ctx.body = await commissionLedger.list(ctx.params.handle, await partnerRealm.ownFilters(ctx.params.handle, ctx.state.query as CommissionFilters));
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/payouts',
    summary: "The partner's own payouts, newest first",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...ownPartner(listPayoutsQuery) } },
    responses: { 200: { description: "A page of the partner's payouts", schema: pageOf(payoutResponse) } },
    async handler(ctx, { payouts, partnerRealm }: Deps) {
      ctx.body = await payouts.list(ctx.params.handle, await partnerRealm.ownFilters(ctx.params.handle, ctx.state.query as { partnerId?: string; status?: string; limit: number; cursor?: string }));
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/payouts/{payoutId}',
    summary: "One of the partner's own payouts (another partner's: 404)",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: payoutParams,
    responses: { 200: { description: 'The payout', schema: payoutResponse } },
    async handler(ctx, { payouts, partnerRealm }: Deps) {
      ctx.body = await payouts.get(ctx.params.handle, ctx.params.payoutId, partnerRealm.partnerId);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/payouts/{payoutId}/statement',
    summary: "One of the partner's own payouts, line by line, as CSV or NDJSON (another partner's: 404)",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: payoutParams,
    query: statementQuery,
    responses: { 200: statementResponse(true) },
    async handler(ctx, { payouts, partnerRealm }: Deps) {
      await answerStatement(ctx, payouts, ctx.params.handle, ctx.params.payoutId, partnerRealm.partnerId);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/analytics',
    summary: `The partner's funnel (funnel=true) or a breakdown (groupBy=${PARTNER_GROUP_BY.join('|')}) over its own campaigns`,
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: analyticsQueryOf(PARTNER_GROUP_BY, realmFilters),
    responses: { 200: { description: 'Funnel rows with totals, or breakdown rows, of the partner\'s campaigns only', schema: analyticsResponse } },
    async handler(ctx, { analytics, partnerRealm, principal }: Deps) {
      const q = ctx.state.query as { partnerId?: string };
      await answerAnalytics(ctx, analytics, ctx.params.handle, { ...q, partnerId: partnerRealm.ownPartnerId(q.partnerId) }, PARTNER_GROUP_BY, principal);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/analytics/export',
    summary: "Stream one row per click of the partner's campaigns as CSV or NDJSON (no user agent or IP hash)",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: exportQueryOf(realmFilters),
    responses: {
      200: {
        description: 'The columns of the handle export, rows of the partner\'s campaigns only.',
        schema: { type: 'string' },
        contentType: 'text/csv',
        alternatives: { 'application/x-ndjson': { type: 'string', description: 'format=ndjson: one JSON object per click.' } },
      },
      429: { description: 'rate_limited: this partner already runs its part of the handle\'s EXPORT_MAX_PER_HANDLE exports (a quarter, at least one), the partners together half, or the server EXPORT_MAX_CONCURRENT; retry after the retry-after header' },
    },
    async handler(ctx, { analytics, partnerRealm }: Deps) {
      const q = ctx.state.query as Parameters<typeof answerExport>[3];
      await answerExport(ctx, analytics, ctx.params.handle, { ...q, partnerId: partnerRealm.ownPartnerId(q.partnerId) }, true);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/analytics/stream',
    summary: "Server-Sent Events: the partner's funnel snapshot, then its changed campaigns at most once a second",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: { properties: realmFilters },
    responses: {
      200: {
        description: 'text/event-stream, as the handle stream, over the partner\'s campaigns only; ends with `event: close` when the token is revoked or expires.',
        schema: { type: 'string' },
        contentType: 'text/event-stream',
      },
      429: { description: 'rate_limited: this token holds ANALYTICS_SSE_MAX_PER_TOKEN open streams, or this partner its part of the handle\'s ANALYTICS_SSE_MAX_PER_HANDLE (a quarter, at least one; the partners together half), on this server process' },
    },
    async handler(ctx, deps: Deps) {
      const { campaignId, partnerId } = ctx.state.query as { campaignId?: string; partnerId?: string };
      await answerStream(ctx, deps, ctx.params.handle, { campaignId, partnerId: deps.partnerRealm.ownPartnerId(partnerId) });
    },
  },
]);
