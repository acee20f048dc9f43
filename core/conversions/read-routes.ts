import { defineRoutes, type Principal } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import type { ConversionFilters, ConversionReader } from './reader.ts';
import { conversionParams, handleConversionsQuery, reversalBody, reversalResponse, storedConversion } from './read-schemas.ts';
import type { ReversalInput, ReversalService } from './reversals.ts';
import { centsProblems } from '../commissions/index.ts';

type Deps = { conversionReader: ConversionReader; reversals: ReversalService; principal: Principal };

/** API.md "Conversions, read and reversed". */
export const conversionReadRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/v2/handles/{handle}/conversions',
    summary: 'List recorded conversions, newest first, with their partner, sub-IDs and reversal status',
    tags: ['conversions'],
    auth: { scope: 'conversions.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...handleConversionsQuery } },
    responses: { 200: { description: 'A page of conversions', schema: pageOf(storedConversion) } },
    async handler(ctx, { conversionReader }: Deps) {
      ctx.body = await conversionReader.list(ctx.params.handle, ctx.state.query as ConversionFilters);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/conversions/{conversionId}',
    summary: 'Get a recorded conversion',
    tags: ['conversions'],
    auth: { scope: 'conversions.read' },
    params: conversionParams,
    responses: { 200: { description: 'The conversion', schema: storedConversion } },
    async handler(ctx, { conversionReader }: Deps) {
      ctx.body = await conversionReader.get(ctx.params.handle, ctx.params.conversionId);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/conversions/reversals',
    summary: "Reverse all or part of a conversion's value (refund, chargeback); idempotent by reversalKey; its commissions follow",
    tags: ['conversions'],
    auth: { scope: 'conversions.write' },
    params: handleParams,
    body: reversalBody,
    moreBodyProblems: (body) => centsProblems(body, 'amount'),
    responses: {
      201: { description: 'Reversed', schema: reversalResponse },
      200: { description: 'The reversalKey was seen before: the original reversal, deduped (and mismatch when the repeat asked for something else)', schema: reversalResponse },
      404: { description: 'not_found: no conversion of this handle has this idempotencyKey' },
      422: { description: 'over_reversal: more than what remains of the value' },
    },
    async handler(ctx, { reversals, principal }: Deps) {
      const { deduped, mismatch, reversal } = await reversals.reverse(ctx.params.handle, ctx.request.body as ReversalInput, principal.actor);
      ctx.status = deduped ? 200 : 201;
      ctx.body = deduped ? { ...reversal, deduped: true, ...(mismatch && { mismatch }) } : reversal;
    },
  },
]);
