import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { refuseUnrouted, renderFailure } from './errors.ts';
import { observeRequest } from './metrics.ts';
import { assignRequestId } from './request-id.ts';
import { requestLogger } from './request-log.ts';

/**
 * What every API request goes through, in one middleware: its id, the error shape of any failure, then
 * (answered) its duration in the metrics and its log line, both seeing the status the client gets.
 * One async layer instead of four: each layer is a promise and a closure per request (the four were
 * ~30 µs of a ~150 µs `/healthz` on a slow box, docs/performance.md).
 */
export function requestEnvelope(log: Logger) {
  const logRequest = requestLogger(log);
  return async function envelope(ctx: Context, next: Next) {
    const start = performance.now();
    assignRequestId(ctx);
    try {
      await next();
      refuseUnrouted(ctx);
    } catch (err) {
      renderFailure(ctx, err, log);
    }
    const ms = performance.now() - start;
    observeRequest(ctx, ms / 1000);
    logRequest(ctx, ms);
  };
}
