import type { Context } from 'koa';
import { uuidv7 } from '../infra/uuid7.ts';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes a well-formed incoming x-request-id, else mints one; every response carries it. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && VALID.test(incoming) ? incoming : uuidv7();
}

/** Takes or mints the request's id: kept in ctx.state for logs, echoed in x-request-id. */
export function assignRequestId(ctx: Context): void {
  const id = requestIdFrom(ctx.get('x-request-id'));
  ctx.state.requestId = id;
  ctx.set('x-request-id', id);
}
