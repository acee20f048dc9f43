import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { HttpError, invalidRequest } from './errors.ts';

export const BODY_LIMIT = 64 * 1024;

/** Parses JSON bodies: 415 for other media types, 413 over 64 KiB, 400 for malformed JSON. */
export async function jsonBody(ctx: Context, next: Next) {
  const method = ctx.method;
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS') return next();
  const length = Number(ctx.get('content-length') || 0);
  const chunked = ctx.get('transfer-encoding') !== '';
  if (!chunked && length === 0) return next();
  if (length > BODY_LIMIT) throw new HttpError(413, 'payload_too_large', 'The request body is larger than 64 KiB.');
  if (!ctx.is('application/json', 'application/*+json')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  const raw = await getRawBody(ctx.req, { limit: BODY_LIMIT, encoding: 'utf8', length: chunked ? undefined : length });
  if (raw.trim() === '') return next();
  try {
    ctx.request.body = JSON.parse(raw);
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
  await next();
}
