import { defineRoutes, type Principal } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import { listPayoutsQuery, markPaidBody, payoutParams, payoutResponse, payoutRunResponse, runPayoutsBody, statementQuery } from './schemas.ts';
import type { PayoutService, RunInput } from './service.ts';
import { answerStatement, statementResponse } from './statement-answer.ts';
import { payoutEtag } from './etag.ts';

type Deps = { payouts: PayoutService; principal: Principal };

/** Optional: a reversal can shrink or cancel a pending payout between a GET and the payer's click (etag.ts). */
const PRECONDITION_FAILED = {
  description: "precondition_failed: an If-Match was sent (the ETag of GET …/payouts/{payoutId}) and the payout's status, amount or lines are no longer that",
};

export const payoutRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/handles/{handle}/payouts',
    summary: 'Run payouts: one per partner and currency whose approved, unpaid ledger reaches the minimum; idempotent by key',
    tags: ['payouts'],
    auth: { scope: 'payouts.write' },
    params: handleParams,
    body: runPayoutsBody,
    responses: {
      201: { description: 'The payouts this run created (possibly none)', schema: payoutRunResponse },
      200: {
        description: 'This idempotencyKey ran before: its payouts, as they are now, even when that run created none (nothing new is paid out; ' +
          'use a new key for a new run). Headers: `Idempotent-Replayed: true`, and `Idempotency-Mismatch: true` when this body asked for another periodEnd or other partners.',
        schema: payoutRunResponse,
      },
      422: { description: 'unknown_partner: partnerIds names an id that is neither a partner of this handle nor in its ledger (nothing is paid; the key stays unused)' },
    },
    async handler(ctx, { payouts, principal }: Deps) {
      const { created, mismatch, data } = await payouts.run(ctx.params.handle, ctx.request.body as RunInput, principal.actor);
      ctx.status = created ? 201 : 200;
      // The body of a repeat equals the first answer's (API.md), so what kind of answer it is goes in headers.
      if (!created) ctx.set('idempotent-replayed', 'true');
      if (mismatch) ctx.set('idempotency-mismatch', 'true');
      ctx.body = { data };
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/payouts',
    summary: 'List payouts, newest first',
    tags: ['payouts'],
    auth: { scope: 'payouts.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...listPayoutsQuery } },
    responses: { 200: { description: 'A page of payouts', schema: pageOf(payoutResponse) } },
    async handler(ctx, { payouts }: Deps) {
      ctx.body = await payouts.list(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/payouts/{payoutId}',
    summary: 'Get a payout',
    tags: ['payouts'],
    auth: { scope: 'payouts.read' },
    params: payoutParams,
    responses: { 200: { description: 'The payout; its ETag header is what mark-paid and cancel take as If-Match', schema: payoutResponse } },
    async handler(ctx, { payouts }: Deps) {
      const payout = await payouts.get(ctx.params.handle, ctx.params.payoutId);
      ctx.set('etag', payoutEtag(payout));
      ctx.body = payout;
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/payouts/{payoutId}/statement',
    summary: "A payout's commission lines as CSV or NDJSON",
    tags: ['payouts'],
    auth: { scope: 'payouts.read' },
    params: payoutParams,
    query: statementQuery,
    responses: { 200: statementResponse() },
    async handler(ctx, { payouts }: Deps) {
      await answerStatement(ctx, payouts, ctx.params.handle, ctx.params.payoutId);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/payouts/{payoutId}/mark-paid',
    summary: 'Mark a pending payout paid; its commissions become paid',
    tags: ['payouts'],
    auth: { scope: 'payouts.write' },
    params: payoutParams,
    body: markPaidBody,
    responses: { 200: { description: 'The paid payout', schema: payoutResponse }, 409: { description: 'invalid_transition: the payout is not pending' }, 412: PRECONDITION_FAILED },
    async handler(ctx, { payouts, principal }: Deps) {
      const { reference } = (ctx.request.body ?? {}) as { reference?: string };
      ctx.body = await payouts.markPaid(ctx.params.handle, ctx.params.payoutId, reference ?? null, principal.actor, ctx.get('if-match') || undefined);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/payouts/{payoutId}/cancel',
    summary: 'Cancel a pending payout; its commissions return to the approved, unpaid ledger',
    tags: ['payouts'],
    auth: { scope: 'payouts.write' },
    params: payoutParams,
    responses: { 200: { description: 'The canceled payout', schema: payoutResponse }, 409: { description: 'invalid_transition: the payout is not pending' }, 412: PRECONDITION_FAILED },
    async handler(ctx, { payouts, principal }: Deps) {
      ctx.body = await payouts.cancel(ctx.params.handle, ctx.params.payoutId, principal.actor, ctx.get('if-match') || undefined);
    },
  },
]);
