import type { Context } from 'koa';
import type { Logger } from 'pino';

/** One log line per request, written when it is answered; the Authorization header is never logged. */
export function requestLogger(log: Logger) {
  return function logRequest(ctx: Context, ms: number) {
    log.info({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
  };
}
