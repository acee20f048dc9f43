// Conversion metrics. Defined once per process (tests run several kernels in one).
import client from 'prom-client';
import { registry } from '../http/metrics.ts';

export const conversionsTotal = new client.Counter({
  name: 'tenx_conversions_total',
  help: 'POST /v2/public/conversions by outcome: created (201), deduped (200, same body), mismatch (200, the key was reused with another body), refused (4xx, see tenx_conversions_refused_total)',
  labelNames: ['outcome'],
  registers: [registry],
});

export const conversionsRefused = new client.Counter({
  name: 'tenx_conversions_refused_total',
  help: "Conversions refused, by the error code answered (invalid_ctx, ctx_expired, rate_limited, value_out_of_range, too_many_conversions_for_click, ...)",
  labelNames: ['reason'],
  registers: [registry],
});
