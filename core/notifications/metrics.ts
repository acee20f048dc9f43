// Webhook delivery metrics. Defined once per process (tests run several kernels in one).
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
  help: 'Webhook sends signed by the kernel, by where the HMAC ran (workers; inline sends are signed by the channel)',
  labelNames: ['mode'],
  registers: [registry],
});

export const webhookDeliveriesCreated = new client.Counter({
  name: 'tenx_webhook_deliveries_created_total',
  help: 'Deliveries fanned out from outbox events (one per event and matching subscription) or pings',
  registers: [registry],
});
