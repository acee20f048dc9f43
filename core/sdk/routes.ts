import type { Context } from 'koa';
import { defineRoutes } from '../http/route.ts';
import type { Snippet } from './snippet.ts';

// Merchants embed the script on their pages: browsers and CDNs may keep it an hour, then revalidate
// with the ETag (a 304), so a new version reaches every page within the hour.
const CACHE_CONTROL = 'public, max-age=3600';

function send(ctx: Context, s: Snippet) {
  const gzip = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
  ctx.set('cache-control', CACHE_CONTROL);
  ctx.set('vary', 'accept-encoding');
  ctx.set('x-content-type-options', 'nosniff');
  // Loaded by <script src> from the merchant's origin: cross-origin by design.
  ctx.set('cross-origin-resource-policy', 'cross-origin');
  ctx.set('etag', gzip ? s.gzipEtag : s.etag);
  ctx.type = 'text/javascript; charset=utf-8';
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  if (gzip) ctx.set('content-encoding', 'gzip');
  ctx.body = gzip ? s.gzipped : s.body;
}

export function sdkRoutes(ctxSnippet: Snippet) {
  return defineRoutes([
    {
      method: 'GET',
      path: '/sdk/ctx.js',
      summary: "The merchant snippet: keeps the landing URL's ctx in a first-party cookie (tenx_ctx) and exposes window.tenx.ctx()",
      tags: ['sdk'],
      auth: 'public',
      responses: {
        200: {
          description:
            'JavaScript, no dependencies. Attributes of its script tag: data-days (cookie lifetime, default 30), data-param (default ctx). ' +
            'Cache-Control public, max-age=3600, with an ETag; gzip when accepted.',
          contentType: 'text/javascript',
        },
        304: { description: 'If-None-Match matched the ETag' },
      },
      async handler(ctx) {
        send(ctx, ctxSnippet);
      },
    },
  ]);
}
