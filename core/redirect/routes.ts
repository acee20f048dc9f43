import { defineRoutes } from '../http/route.ts';
import { HttpError, unavailable } from '../http/errors.ts';
import { SLUG_PATTERN } from '../campaigns/index.ts';
import { HANDLE_PATTERN, RESERVED_HANDLES } from '../http/handle.ts';
import { SUB_ID_PARAMS } from './sub-ids.ts';
import type { LinkCache } from './link-cache.ts';
import type { Redirector } from './redirector.ts';

type Deps = { linkCache: LinkCache; redirector: Redirector };

const HANDLE = new RegExp(HANDLE_PATTERN);
const SLUG = new RegExp(SLUG_PATTERN);
const RESERVED = new Set(RESERVED_HANDLES);

export const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not found</title></head>' +
  '<body><h1>Link not found</h1><p>This short link does not exist or is not active.</p></body></html>';

export const redirectRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/{handle}/{slug}',
    summary: "Follow a short link: 302 to the campaign's destination with a signed ctx (HEAD: same answer, no click)",
    tags: ['redirect'],
    auth: 'public',
    head: 'The same answer as GET (302 with a ctx, or 404) without recording a click: a link checker or prefetch costs nothing',
    // Read by the fast lane itself (never refused), so documented here rather than validated by the router.
    documentedQuery: {
      properties: {
        src: { type: 'string', description: 'The source channel of the click (else utm_source, else the Referer host, else direct).' },
        utm_source: { type: 'string', description: 'The source channel when src is absent.' },
        ...Object.fromEntries(SUB_ID_PARAMS.map((p) => [p, { type: 'string', description: 'A sub-ID label stored on the click (at most 100 printable characters kept).' }])),
      },
    },
    responses: {
      302: {
        description: 'To the chosen destination with ctx=<token> appended to its query string',
        headers: {
          Location: { description: "The destination URL, with the destination's own query kept and ctx added", schema: { type: 'string', format: 'uri' } },
          'Cache-Control': { description: 'no-store', schema: { const: 'no-store' } },
          'Referrer-Policy': { description: 'no-referrer-when-downgrade' },
        },
      },
      404: { description: 'Unknown link or campaign not ACTIVE (a tiny HTML page; no click counted)', contentType: 'text/html', schema: { type: 'string' } },
      503: { description: 'unavailable: the link cannot be resolved right now (the database is unreachable)' },
    },
    // The fast lane answers warm links before Koa; this route is the cold path (one shared load) and the 404.
    async handler(ctx, { linkCache, redirector }: Deps) {
      const { handle, slug } = ctx.params as { handle: string; slug: string };
      // Reserved first segments are API paths (e.g. GET /v2/handles), not tenants: answer like any unknown route.
      if (RESERVED.has(handle)) throw new HttpError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}.`);
      let link = null;
      if (HANDLE.test(handle) && SLUG.test(slug)) {
        try {
          link = await linkCache.load(handle, slug);
        } catch {
          throw unavailable('The link cannot be resolved right now; try again shortly.');
        }
      }
      if (!link || !link.live) {
        ctx.status = 404;
        ctx.type = 'text/html; charset=utf-8';
        ctx.set('cache-control', 'no-store');
        ctx.body = NOT_FOUND_PAGE;
        return;
      }
      ctx.status = 302;
      ctx.respond = false;
      redirector.answer(ctx.req, ctx.res, link, 'koa', ctx.state.requestId);
    },
  },
]);
