// Webhook delivery metrics. Defined once per process (tests run several kernels in one).
import type { Pool } from 'pg';
import client from 'prom-client';
import { registry } from '../http/metrics.ts';

export const webhookAttempts = new client.Counter({
  name: 'tenx_webhook_attempts_total',
  help: 'Webhook delivery attempts, by what the attempt left the delivery as (succeeded, retrying, failed)',
  labelNames: ['result'],
  registers: [registry],
});

export const webhookAttemptDuration = new client.Histogram({
  name: 'tenx_webhook_attempt_duration_seconds',
  help: 'Time of one webhook send, from request to response (or error)',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const webhookSignings = new client.Counter({
  name: 'tenx_webhook_signings_total',
  help: 'Webhook, channel and postback sends signed by the kernel, by where the HMAC ran (inline, or the signing workers for large bodies)',
  labelNames: ['mode'],
  registers: [registry],
});

export const webhookDeliveriesCreated = new client.Counter({
  name: 'tenx_webhook_deliveries_created_total',
  help: 'Deliveries fanned out from outbox events (one per event and matching subscription) or pings',
  registers: [registry],
});

export const webhookDeliveries = new client.Counter({
  name: 'tenx_webhook_deliveries_total',
  help: 'Deliveries finished, by outcome: succeeded, or failed for good (no retry left; redeliver starts a new cycle)',
  labelNames: ['outcome'],
  registers: [registry],
});

// Backlog and lag are read from the deliveries table at scrape time (one query for both gauges,
// through the deliveries_open partial index), from every live kernel's pool (tests run several).
const sources = new Set<Pool>();

/** Reports this pool's deliveries in the backlog gauges (until untrackDeliveryBacklog, at stop). */
export function trackDeliveryBacklog(pg: Pool): void {
  sources.add(pg);
}

export function untrackDeliveryBacklog(pg: Pool): void {
  sources.delete(pg);
}

let snapshot: Promise<{ backlog: number; lagSeconds: number }> | null = null;

function readBacklog() {
  // Both gauges collect concurrently in one scrape: they share the read in flight.
  snapshot ??= (async () => {
    let backlog = 0;
    let lagSeconds = 0;
    let read = 0;
    let failure: unknown = null;
    for (const pg of sources) {
      // One pool that cannot answer (a kernel stopping beside the others in a test process) leaves the others' readings.
      try {
        const { rows } = await pg.query(
          `select count(*)::int as backlog,
                  coalesce(extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())), 0)::float8 as lag
             from deliveries where status in ('pending', 'retrying')`,
        );
        backlog += rows[0].backlog;
        lagSeconds = Math.max(lagSeconds, rows[0].lag);
        read++;
      } catch (err) {
        failure = err;
      }
    }
    if (failure !== null && read === 0) throw failure; // no reading at all: the gauges say NaN
    return { backlog, lagSeconds };
  })().finally(() => (snapshot = null));
  return snapshot;
}

new client.Gauge({
  name: 'tenx_webhook_delivery_backlog',
  help: 'Deliveries not finished yet (pending or retrying)',
  // Database-wide: every worker of a cluster reads the same rows, so /metrics shows one reading, not N summed.
  aggregator: 'max',
  registers: [registry],
  async collect() {
    this.set((await readBacklog().catch(() => ({ backlog: NaN }))).backlog);
  },
});

new client.Gauge({
  name: 'tenx_webhook_queue_lag_seconds',
  help: 'How long the oldest due delivery has been waiting past its attempt time (0 when none is overdue)',
  // Database-wide: every worker of a cluster reads the same rows, so /metrics shows one reading, not N summed.
  aggregator: 'max',
  registers: [registry],
  async collect() {
    this.set((await readBacklog().catch(() => ({ lagSeconds: NaN }))).lagSeconds);
  },
});
