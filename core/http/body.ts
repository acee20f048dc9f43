import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { HttpError, invalidRequest } from './errors.ts';

export const BODY_LIMIT = 64 * 1024;

/** Charsets a JSON body may declare: UTF-8, or ASCII (a subset of it). */
const UTF8_COMPATIBLE = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;
/** Refuses malformed UTF-8 instead of replacing it; a leading BOM is dropped, as before. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a route's JSON body into ctx.request.body: 415 for other media types, charsets or a content encoding, 413 over 64 KiB, 400
 * for malformed JSON or UTF-8. The router calls it after authentication, so a caller without the right to a
 * route learns 401/403/404 (API.md), never whether its body would have parsed.
 */
export async function readJsonBody(ctx: Context): Promise<void> {
  const method = ctx.method;
  // A DELETE's body is read like a POST action's (none, or {}): one over 64 KiB is 413, not ignored while the delete runs.
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  const length = Number(ctx.get('content-length') || 0);
  const chunked = ctx.get('transfer-encoding') !== '';
  if (!chunked && length === 0) return;
  if (length > BODY_LIMIT) throw new HttpError(413, 'payload_too_large', 'The request body is larger than 64 KiB.');
  if (!ctx.is('application/json', 'application/*+json')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  // JSON is UTF-8 (RFC 8259): a body declared in another charset would be read as UTF-8 all the same.
  // Read with a pattern, not a strict parser: a malformed parameter list ("charset=utf-16;") parses as no charset.
  const charset = CHARSET.exec(ctx.get('content-type'))?.[1].toLowerCase();
  if (charset !== undefined && !UTF8_COMPATIBLE.has(charset)) {
    throw new HttpError(415, 'unsupported_media_type', `charset=${charset} is not accepted: send the JSON body as UTF-8.`);
  }
  // A compressed body is not read as if it were plain (gzip bytes once answered "not valid JSON").
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported_media_type', `Content-Encoding ${encoding} is not accepted: send the body uncompressed.`);
  }
  const bytes = await getRawBody(ctx.req, { limit: BODY_LIMIT, length: chunked ? undefined : length }).catch((err: { type?: string }) => {
    // The connection was closed under the request (its peer, or junk after a body still arriving): raw-body calls
    // that a 500, but nothing broke here, and no one is left to read the answer.
    if (err?.type === 'stream.not.readable') throw invalidRequest('The request body could not be read: the connection was closed.');
    throw err;
  });
  // Strictly: a lenient decoder turns each invalid byte into U+FFFD, so two different idempotency keys
  // ("order-\xff", "order-\xfe") would become one and the second order be deduped away.
  let raw: string;
  try {
    raw = STRICT_UTF8.decode(bytes);
  } catch {
    throw invalidRequest('The request body is not valid UTF-8.');
  }
  if (raw.trim() === '') return;
  try {
    ctx.request.body = JSON.parse(raw);
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
}
