import type { Context, Next } from 'koa';
import client from 'prom-client';

/** One registry for the process: HTTP histograms here, domain modules add their own metrics. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpDuration = new client.Histogram({
  name: 'tenx_http_request_duration_seconds',
  help: 'HTTP request duration by route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const rateLimited = new client.Counter({
  name: 'tenx_rate_limited_requests_total',
  help: 'Requests answered 429 (a rate limit or a concurrency cap), by route',
  labelNames: ['route'],
  registers: [registry],
});

export async function httpMetrics(ctx: Context, next: Next) {
  const end = httpDuration.startTimer();
  try {
    await next();
  } finally {
    const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
    end({ method: ctx.method, route, status: String(ctx.status) });
    if (ctx.status === 429) rateLimited.inc({ route });
  }
}
