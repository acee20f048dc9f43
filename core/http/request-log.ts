import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

/** One log line per request; the Authorization header is never logged. */
export function requestLog(log: Logger) {
  return async function logRequest(ctx: Context, next: Next) {
    const start = performance.now();
    try {
      await next();
    } finally {
      const ms = Math.round((performance.now() - start) * 10) / 10;
      log.info({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
    }
  };
}
