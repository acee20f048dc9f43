import type { Context } from 'koa';
import { defineRoutes } from '../http/route.ts';
import { HttpError } from '../http/errors.ts';
import { conversionsRefused, conversionsTotal } from './metrics.ts';
import type { ClientRateLimit } from './index.ts';
import type { MerchantAuth } from './merchant-auth.ts';
import { conversionBody, conversionResponses } from './schemas.ts';
import { conversionBodyProblems, type ConversionInput, type ConversionService } from './service.ts';

type Deps = { conversions: ConversionService; conversionRateLimit: ClientRateLimit; merchantAuth: MerchantAuth };

/** 429 in the contract's shape when the caller's IP has spent its bucket. */
async function enforceRateLimit(ctx: Context, limit: ClientRateLimit) {
  const decision = await limit(ctx);
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw refused(new HttpError(429, 'rate_limited', `Too many conversion requests from this client; retry in ${seconds} s.`, undefined, { 'retry-after': String(seconds) }));
  }
}

/** A 4xx is the caller's (or its integration's) problem and worth an alert when it climbs; a 5xx is not a refusal. */
function refused(err: unknown): unknown {
  if (err instanceof HttpError && err.status < 500) {
    conversionsTotal.inc({ outcome: 'refused' });
    conversionsRefused.inc({ reason: err.code });
  }
  return err;
}

export const conversionRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/public/conversions',
    summary: "Record a conversion for the click a ctx token names, exactly once per idempotencyKey; with the merchant's token (conversions.write) it is authenticated",
    tags: ['conversions'],
    auth: 'public',
    bearerOptional: true,
    body: conversionBody,
    nullMeansAbsent: ['value', 'currency', 'metadata'],
    moreBodyProblems: conversionBodyProblems,
    // Public, so the auth-implied 503 does not apply: recording needs the database all the same.
    responses: { ...conversionResponses, 503: { description: 'unavailable: the conversion could not be recorded; retry with the same idempotencyKey' } },
    // The hot write path: its three services are singletons.
    requestScope: false,
    // API.md: the endpoint is rate limited per client IP; malformed, oversized and invalid submissions count too.
    beforeBody: (ctx, { conversionRateLimit }: Deps) => enforceRateLimit(ctx, conversionRateLimit),
    async handler(ctx, { conversions, merchantAuth }: Deps) {
      let result;
      try {
        const merchant = await merchantAuth.resolve(ctx);
        result = await conversions.record(ctx.request.body as ConversionInput, merchant);
      } catch (err) {
        throw refused(err);
      }
      conversionsTotal.inc({ outcome: result.mismatch ? 'mismatch' : result.deduped ? 'deduped' : 'created' });
      ctx.status = result.deduped ? 200 : 201;
      ctx.body = result;
    },
  },
]);
