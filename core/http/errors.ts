import type { Context } from 'koa';
import type { Logger } from 'pino';
import { LogThrottle } from '../infra/log-throttle.ts';

export interface ErrorDetail {
  pointer: string;
  message: string;
}

/** The one error type routes throw; the error middleware renders it in the contract's shape. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: ErrorDetail[];
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    details?: ErrorDetail[],
    headers?: Record<string, string>,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const invalidRequest = (message: string, details?: ErrorDetail[]) => new HttpError(400, 'invalid_request', message, details);
/** 401 with the challenge RFC 9110 asks of every 401: the scheme that would do. */
export const unauthorized = (message = 'A valid bearer token is required.') =>
  new HttpError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="tenx"' });
/** `why`: when the route's own scope is not the whole story (e.g. a rename needs every scope), what the token must hold. */
export const insufficientScope = (scope: string, why?: string) =>
  new HttpError(403, 'insufficient_scope', why ? `${why}: this token lacks the "${scope}" scope.` : `This token lacks the "${scope}" scope.`);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const notFound = (what = 'Resource') => new HttpError(404, 'not_found', `${what} not found.`);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const unprocessable = (code: string, message: string) => new HttpError(422, code, message);
/** 429: the caller is over a limit that frees itself; retry after `retryAfterS` seconds. */
export const rateLimited = (message: string, retryAfterS: number) =>
  new HttpError(429, 'rate_limited', message, undefined, { 'retry-after': String(retryAfterS) });
/** 503: nothing was done and a retry may pass; always says when to retry (retry-after, seconds). */
export const unavailable = (message: string, retryAfterS = 1) =>
  new HttpError(503, 'unavailable', message, undefined, { 'retry-after': String(retryAfterS) });

export function errorBody(code: string, message: string, details?: ErrorDetail[]) {
  return { error: { code, message, ...(details && details.length ? { details } : {}) } };
}

/**
 * What no route answered: 404 or 405 (@koa/router's allowedMethods set the status and allow header). A method
 * the router does not know at all (TRACE, PROPFIND) it answers 501: here 405 on a path with routes, else 404,
 * so no request is answered 5xx for what the client sent.
 */
export function refuseUnrouted(ctx: Context): void {
  const unknownMethod = ctx.status === 501 && !ctx.body;
  if ((ctx.status === 404 && ctx.body === undefined) || (unknownMethod && !ctx.response.get('allow'))) {
    throw new HttpError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}.`);
  }
  if ((ctx.status === 405 && !ctx.body) || unknownMethod) {
    throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`, undefined, { allow: String(ctx.response.get('allow')) });
  }
}

// A 503 is expected while the database is away (every request of an outage answers it): a warning a minute per
// message with the count left out, not an error with a stack per request.
const outageLogs = new WeakMap<Logger, LogThrottle>();

function logFailure(ctx: Context, err: unknown, e: HttpError, log: Logger): void {
  if (e.status === 503) {
    let throttle = outageLogs.get(log);
    if (!throttle) outageLogs.set(log, (throttle = new LogThrottle(log)));
    const cause = err instanceof HttpError ? undefined : (err as { message?: unknown })?.message;
    throttle.warn(e.message, { requestId: ctx.state.requestId, status: 503, ...(typeof cause === 'string' && { cause }) }, 'request answered 503 unavailable (a retry may pass)');
  } else if (e.status >= 500) {
    log.error({ err, requestId: ctx.state.requestId }, 'request failed');
  }
}

/** Renders a failure as `{"error": {...}}`; never leaks a stack; logs unexpected ones (and outages, throttled). */
export function renderFailure(ctx: Context, err: unknown, log: Logger): void {
  const e = toHttpError(err);
  logFailure(ctx, err, e, log);
  ctx.status = e.status;
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = errorBody(e.code, e.message, e.details);
  if (e.headers) for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
}

// SQLSTATEs for a transaction PostgreSQL rolled back on its own, which a retry may well pass.
const TRANSIENT_PG = new Set(['40001', '40P01', '55P03', '57014']);
// The database went away under the request (restart, failover, network): 57P01 admin shutdown,
// 57P02 crash shutdown, 57P03 cannot connect now, class 08 connection exceptions, and what the
// driver, the socket and the pools say when the connection is gone or none could be had.
const UNREACHABLE_PG = new Set(['57P01', '57P02', '57P03']);
const UNREACHABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const UNREACHABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Knex: Timeout acquiring a connection)/;
/** Seconds a client should wait after losing the database: a restart takes a few. */
export const DATABASE_RETRY_AFTER_S = 2;

/** True when err says the database could not be reached or dropped the connection mid-request. */
export function isDatabaseUnreachable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNREACHABLE_PG.has(code) || /^08[0-9A-Z]{3}$/.test(code) || UNREACHABLE_SOCKET.has(code)) return true;
  if (typeof e.message === 'string' && UNREACHABLE_MESSAGE.test(e.message)) return true;
  // A connect to a host with several addresses fails with one AggregateError of them all.
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnreachable);
}

/** Maps anything a handler threw to the contract's error; exported for its unit test. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  // `throw null` or a thrown string is still a bug to answer 500, not a crash of this function.
  const e = (err !== null && typeof err === 'object' ? err : {}) as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string; code?: string };
  const status = e.status ?? e.statusCode;
  if (status === 413 || e.type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'The request body is larger than 64 KiB.');
  if (status && status >= 400 && status < 500) {
    return new HttpError(status, status === 404 ? 'not_found' : 'invalid_request', e.expose && e.message ? e.message : 'The request could not be processed.');
  }
  // PostgreSQL gave up on this attempt (deadlock, serialization, lock timeout): nothing was written.
  if (TRANSIENT_PG.has(e.code ?? '')) {
    return unavailable('The database could not complete the request this time; retry it.', 1);
  }
  // Lost mid-request: the transaction died with the connection (or its commit's answer was lost), so a retry
  // with the same idempotency key is safe.
  if (isDatabaseUnreachable(err)) {
    return unavailable('The database is unreachable right now; retry shortly.', DATABASE_RETRY_AFTER_S);
  }
  return new HttpError(500, 'internal_error', 'An unexpected error occurred; it has been logged.');
}
