import { asClass, asFunction } from 'awilix';
import type { Context } from 'koa';
import type { Pool } from 'pg';
import type { Config } from '../../config/index.ts';
import { clientIp, parseTrustedProxies } from '../http/client-ip.ts';
import type { Redis } from '../infra/redis.ts';
import type { TenxModule } from '../module.ts';
import { ClickCountRetention } from './click-count-retention.ts';
import { conversionsDb } from './db.ts';
import { MerchantAuth } from './merchant-auth.ts';
import { createRateLimiter, type RateDecision } from './rate-limit.ts';
import { IdempotencyRetention } from './retention.ts';
import { conversionReadRoutes } from './read-routes.ts';
import { ConversionReader } from './reader.ts';
import { ReversalService } from './reversals.ts';
import { conversionRoutes } from './routes.ts';
import { ConversionService } from './service.ts';

export { listConversionsQuery, storedConversion } from './read-schemas.ts';
export type { ConversionFilters, ConversionReader } from './reader.ts';

/** Spends one token of the caller's bucket (per client IP); always allowed when PUBLIC_RATE_LIMIT is 0. */
export type ClientRateLimit = (ctx: Context) => Promise<RateDecision>;

const ALLOW: RateDecision = { allowed: true };

function createClientRateLimit({ config, redis }: { config: Config; redis: Redis | null }): ClientRateLimit {
  const rate = config.publicRateLimit;
  if (rate === 0) return async () => ALLOW;
  const limiter = createRateLimiter({ ratePerSecond: rate, burst: rate * 10 }, redis, config.redisPrefix);
  const trusted = parseTrustedProxies(config.trustedProxies);
  return (ctx) => limiter.take(clientIp(ctx.req.socket.remoteAddress ?? '', ctx.get('x-forwarded-for') || undefined, trusted));
}

export const conversionsModule: TenxModule = {
  name: 'conversions',
  register(container) {
    container.register({
      conversionsDb: asFunction(({ pg, embedded }: { pg: Pool; embedded: boolean }) => conversionsDb(pg, embedded)).singleton(),
      conversions: asClass(ConversionService).singleton(),
      merchantAuth: asClass(MerchantAuth).singleton(),
      conversionReader: asClass(ConversionReader).singleton(),
      reversals: asClass(ReversalService).singleton(),
      idempotencyRetention: asClass(IdempotencyRetention).singleton(),
      clickCountRetention: asClass(ClickCountRetention).singleton(),
      conversionRateLimit: asFunction(createClientRateLimit).singleton(),
    });
  },
  routes: () => [...conversionRoutes, ...conversionReadRoutes],
  async start({ idempotencyRetention, clickCountRetention }) {
    await (idempotencyRetention as IdempotencyRetention).start();
    await (clickCountRetention as ClickCountRetention).start();
  },
  async stop({ idempotencyRetention, clickCountRetention }) {
    await (idempotencyRetention as IdempotencyRetention).stop();
    await (clickCountRetention as ClickCountRetention).stop();
  },
};
