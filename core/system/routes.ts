import cluster from 'node:cluster';
import type { Pool } from 'pg';
import { defineRoutes, type RouteDef } from '../http/route.ts';
import { registry } from '../http/metrics.ts';
import { metricsText } from '../http/cluster-metrics.ts';
import { sameSecret } from '../http/auth.ts';
import { unauthorized, unavailable } from '../http/errors.ts';
import { buildOpenApi, docsPage } from '../http/openapi.ts';
import { eventDocs } from '../notifications/index.ts';
import type { Redis } from '../infra/redis.ts';
import type { Bus } from '../infra/bus.ts';
import type { Config } from '../../config/index.ts';

type Deps = { pg: Pool; redis: Redis | null; bus: Bus; config: Config; routeTable: RouteDef[] };

const check = { enum: ['ok', 'down', 'not_configured'] };
const checks = {
  type: 'object',
  additionalProperties: false,
  required: ['database', 'redis'],
  properties: { database: check, redis: check },
};
const health = {
  title: 'Health', type: 'object', additionalProperties: false, required: ['status'],
  properties: {
    status: { const: 'ok' },
    worker: { type: 'integer', minimum: 1, description: 'Which server process answered, under `tenx serve --workers N` (N > 1): its cluster worker id (a replaced worker gets a new one).' },
  },
};
const ready = {
  title: 'Ready', type: 'object', additionalProperties: false, required: ['status', 'checks'],
  properties: { status: { const: 'ready' }, checks },
};
const openApiDocument = {
  type: 'object', required: ['openapi', 'info', 'paths'],
  properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } },
};
// The contract's error body plus which dependency is down.
const notReady = {
  title: 'NotReady', type: 'object', additionalProperties: false, required: ['error', 'checks'],
  properties: { error: { $ref: '#/components/schemas/Error/properties/error' }, checks },
};

/** Redis is `ok` when it answers and this process's subscriber takes cross-process changes again (it reconnects on its own). */
async function probe(pg: Pool, redis: Redis | null, bus: Bus) {
  const checks: Record<string, 'ok' | 'down' | 'not_configured'> = { database: 'down', redis: redis ? 'down' : 'not_configured' };
  await Promise.all([
    pg.query('select 1').then(() => (checks.database = 'ok'), () => {}),
    redis ? redis.ping().then(() => (checks.redis = bus.receiving ? 'ok' : 'down'), () => {}) : null,
  ]);
  return checks;
}

// Each reads only what the root container holds: no request scope (awilix's scope was ~10 % of a probe's CPU).
export const systemRoutes = defineRoutes([
  {
    method: 'GET', path: '/healthz', summary: 'The process is up', tags: ['system'], auth: 'public',
    requestScope: false,
    responses: { 200: { description: 'Up', schema: health } },
    async handler(ctx) {
      ctx.body = cluster.isWorker ? { status: 'ok', worker: cluster.worker!.id } : { status: 'ok' };
    },
  },
  {
    method: 'GET', path: '/readyz', summary: 'Database and (when configured) Redis are reachable', tags: ['system'], auth: 'public',
    requestScope: false,
    responses: { 200: { description: 'Ready', schema: ready }, 503: { description: 'unavailable: a dependency is down', schema: notReady } },
    async handler(ctx, { pg, redis, bus }: Deps) {
      const checks = await probe(pg, redis, bus);
      const ready = Object.values(checks).every((v) => v !== 'down');
      ctx.status = ready ? 200 : 503;
      ctx.body = ready ? { status: 'ready', checks } : { error: { code: 'unavailable', message: 'A dependency is unreachable.' }, checks };
    },
  },
  {
    // Not a handle token: the scraper holds METRICS_TOKEN, the operator's own secret (public when unset).
    method: 'GET', path: '/metrics', summary: 'Prometheus metrics (Bearer METRICS_TOKEN when the operator set one)', tags: ['system'], auth: 'public',
    requestScope: false,
    responses: { 200: { description: 'Prometheus text', contentType: 'text/plain' }, 401: { description: 'METRICS_TOKEN is set and was not presented' } },
    async handler(ctx, { config }: Deps) {
      if (config.metricsToken) {
        const presented = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1];
        if (!presented || !sameSecret(presented, config.metricsToken)) throw unauthorized('GET /metrics needs the bearer METRICS_TOKEN.');
      }
      // With `--workers N`, the whole server's figures (every worker's, aggregated by the primary).
      const text = await metricsText().catch(() => {
        throw unavailable('The metrics of the other server processes did not arrive; retry.', 1);
      });
      ctx.type = registry.contentType;
      ctx.body = text;
    },
  },
  {
    method: 'GET', path: '/v2/openapi.json', summary: 'This OpenAPI 3.1 document', tags: ['system'], auth: 'public',
    requestScope: false,
    responses: { 200: { description: 'OpenAPI document', schema: openApiDocument } },
    async handler(ctx, { routeTable, config }: Deps) {
      ctx.body = buildOpenApi(routeTable, config.publicUrl, eventDocs({ timeoutMs: config.webhookTimeoutMs, retryBaseMs: config.webhookRetryBaseMs }));
    },
  },
  {
    method: 'GET', path: '/docs', summary: 'API reference rendered from the OpenAPI document', tags: ['system'], auth: 'public',
    requestScope: false,
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    async handler(ctx) {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = docsPage('/v2/openapi.json');
    },
  },
]);
