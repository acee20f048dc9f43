import type { Context } from 'koa';
import client from 'prom-client';
import { LocalHistogram } from '../infra/local-histogram.ts';

/** One registry for the process: HTTP histograms here, domain modules add their own metrics. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

// A LocalHistogram: prom-client's labelled observe() built and hashed the label set on every request.
export const httpDuration = new LocalHistogram({
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

// The observer of each (method, route, status), found through maps keyed by the strings a request
// already holds. Bounded: Node's parser knows ~35 methods, routes are the table's, statuses few.
const observers = new Map<string, Map<string, Map<number, (seconds: number) => void>>>();
function observerOf(method: string, route: string, status: number) {
  let byRoute = observers.get(method);
  if (!byRoute) observers.set(method, (byRoute = new Map()));
  let byStatus = byRoute.get(route);
  if (!byStatus) byRoute.set(route, (byStatus = new Map()));
  let observe = byStatus.get(status);
  if (!observe) byStatus.set(status, (observe = httpDuration.child(method, route, String(status))));
  return observe;
}

/** Counts an answered request in the duration histogram (and the 429 counter). */
export function observeRequest(ctx: Context, seconds: number): void {
  const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
  observerOf(ctx.method, route, ctx.status)(seconds);
  if (ctx.status === 429) rateLimited.inc({ route });
}
