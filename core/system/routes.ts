import type { Pool } from 'pg';
import { defineRoutes, type RouteDef } from '../http/route.ts';
import { registry } from '../http/metrics.ts';
import { buildOpenApi, docsPage } from '../http/openapi.ts';
import type { Redis } from '../infra/redis.ts';
import type { Config } from '../../config/index.ts';

type Deps = { pg: Pool; redis: Redis | null; config: Config; routeTable: RouteDef[] };

async function probe(pg: Pool, redis: Redis | null) {
  const checks: Record<string, 'ok' | 'down' | 'not_configured'> = { database: 'down', redis: redis ? 'down' : 'not_configured' };
  await Promise.all([
    pg.query('select 1').then(() => (checks.database = 'ok'), () => {}),
    redis ? redis.ping().then(() => (checks.redis = 'ok'), () => {}) : null,
  ]);
  return checks;
}

export const systemRoutes = defineRoutes([
  {
    method: 'GET', path: '/healthz', summary: 'The process is up', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'Up' } },
    async handler(ctx) {
      ctx.body = { status: 'ok' };
    },
  },
  {
    method: 'GET', path: '/readyz', summary: 'Database and (when configured) Redis are reachable', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'Ready' }, 503: { description: 'A dependency is down' } },
    async handler(ctx, { pg, redis }: Deps) {
      const checks = await probe(pg, redis);
      const ready = Object.values(checks).every((v) => v !== 'down');
      ctx.status = ready ? 200 : 503;
      ctx.body = ready ? { status: 'ready', checks } : { error: { code: 'unavailable', message: 'A dependency is unreachable.' }, checks };
    },
  },
  {
    method: 'GET', path: '/metrics', summary: 'Prometheus metrics', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'Prometheus text', contentType: 'text/plain' } },
    async handler(ctx) {
      ctx.type = registry.contentType;
      ctx.body = await registry.metrics();
    },
  },
  {
    method: 'GET', path: '/v2/openapi.json', summary: 'This OpenAPI 3.1 document', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'OpenAPI document' } },
    async handler(ctx, { routeTable, config }: Deps) {
      ctx.body = buildOpenApi(routeTable, config.publicUrl);
    },
  },
  {
    method: 'GET', path: '/docs', summary: 'API reference rendered from the OpenAPI document', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    async handler(ctx) {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = docsPage('/v2/openapi.json');
    },
  },
]);
