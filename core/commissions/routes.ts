import { defineRoutes, type Principal } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import type { CommissionLedger } from './ledger.ts';
import { rewardProblems, type RewardService } from './rewards.ts';
import {
  bulkCommissionBody, bulkResponse, commissionList, commissionParams, commissionResponse, listCommissionsQuery,
  patchCommissionBody, putRewardBody, rewardParams, rewardResponse,
} from './schemas.ts';

type Deps = { rewards: RewardService; commissionLedger: CommissionLedger; principal: Principal };

export const commissionRoutes = defineRoutes([
  {
    method: 'PUT',
    path: '/v2/handles/{handle}/rewards/{rewardId}',
    summary: 'Create or replace a reward rule (applies to events after it; existing commissions never change)',
    tags: ['commissions'],
    auth: { scope: 'commissions.write' },
    params: rewardParams,
    body: putRewardBody,
    nullMeansAbsent: ['amount', 'percent', 'currency', 'holdDays'],
    // The amount's and percent's cents and which fields a rule's type takes, once the type itself is one.
    moreBodyProblems: (body) => {
      const type = (body as { type?: unknown } | null)?.type;
      return type === 'flat' || type === 'percent' ? rewardProblems(body as never) : [];
    },
    responses: {
      201: { description: 'Created', schema: rewardResponse },
      200: { description: 'Replaced', schema: rewardResponse },
      409: { description: 'conflict: another rule already covers this scope and event' },
      422: {
        description: 'unknown_campaign or unknown_partner: the scope names a campaign or partner this handle does not have; ' +
          "event_type_not_allowed: the event is neither click nor an event type of a loaded goal type (of the scoped campaign's, when it names one)",
      },
    },
    async handler(ctx, { rewards, principal }: Deps) {
      const { created, reward } = await rewards.put(ctx.params.handle, ctx.params.rewardId, ctx.request.body as never, principal.actor);
      ctx.status = created ? 201 : 200;
      ctx.body = reward;
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/rewards',
    summary: 'List reward rules, by rewardId',
    tags: ['commissions'],
    auth: { scope: 'commissions.read' },
    params: handleParams,
    query: { properties: { ...pageQuery } },
    responses: { 200: { description: 'A page of reward rules', schema: pageOf(rewardResponse) } },
    async handler(ctx, { rewards }: Deps) {
      ctx.body = await rewards.list(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/rewards/{rewardId}',
    summary: 'Get a reward rule',
    tags: ['commissions'],
    auth: { scope: 'commissions.read' },
    params: rewardParams,
    responses: { 200: { description: 'The reward rule', schema: rewardResponse } },
    async handler(ctx, { rewards }: Deps) {
      ctx.body = await rewards.get(ctx.params.handle, ctx.params.rewardId);
    },
  },
  {
    method: 'DELETE',
    path: '/v2/handles/{handle}/rewards/{rewardId}',
    summary: 'Delete a reward rule (commissions it created stay as they are)',
    tags: ['commissions'],
    auth: { scope: 'commissions.write' },
    params: rewardParams,
    responses: { 200: { description: 'The deleted rule', schema: rewardResponse } },
    async handler(ctx, { rewards, principal }: Deps) {
      ctx.body = await rewards.remove(ctx.params.handle, ctx.params.rewardId, principal.actor);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/commissions',
    summary: 'List commissions, newest first, with a summary by currency and status over the whole filter',
    tags: ['commissions'],
    auth: { scope: 'commissions.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...listCommissionsQuery } },
    responses: { 200: { description: 'A page of commissions and the summary', schema: commissionList } },
    async handler(ctx, { commissionLedger }: Deps) {
      ctx.body = await commissionLedger.list(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/commissions/{commissionId}',
    summary: 'Get a commission',
    tags: ['commissions'],
    auth: { scope: 'commissions.read' },
    params: commissionParams,
    responses: { 200: { description: 'The commission', schema: commissionResponse } },
    async handler(ctx, { commissionLedger }: Deps) {
      ctx.body = await commissionLedger.get(ctx.params.handle, ctx.params.commissionId);
    },
  },
  {
    method: 'PATCH',
    path: '/v2/handles/{handle}/commissions/{commissionId}',
    summary: 'Approve or reject a commission, with a reason (audited); the same status again is a no-op',
    tags: ['commissions'],
    auth: { scope: 'commissions.write' },
    params: commissionParams,
    body: patchCommissionBody,
    responses: {
      200: { description: 'The commission', schema: commissionResponse },
      409: { description: 'invalid_transition: the lifecycle does not allow this move' },
    },
    async handler(ctx, { commissionLedger, principal }: Deps) {
      const { status, reason } = ctx.request.body as { status: 'approved' | 'rejected'; reason: string };
      ctx.body = await commissionLedger.move(ctx.params.handle, ctx.params.commissionId, status, reason, principal.actor);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/commissions/bulk',
    summary: 'Approve or reject up to 500 commissions at once; one result per id',
    tags: ['commissions'],
    auth: { scope: 'commissions.write' },
    params: handleParams,
    body: bulkCommissionBody,
    responses: { 200: { description: 'One result per id, in request order', schema: bulkResponse } },
    async handler(ctx, { commissionLedger, principal }: Deps) {
      const { commissionIds, status, reason } = ctx.request.body as { commissionIds: string[]; status: 'approved' | 'rejected'; reason: string };
      ctx.body = { data: await commissionLedger.moveMany(ctx.params.handle, commissionIds, status, reason, principal.actor) };
    },
  },
]);
