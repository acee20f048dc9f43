import type { Context } from 'koa';
import { defineRoutes } from '../http/route.ts';
import { notFound } from '../http/errors.ts';
import { SECURITY_HEADERS, type Asset } from './assets.ts';

const segment = { type: 'string', maxLength: 100 } as const;

function send(ctx: Context, asset: Asset | undefined) {
  if (!asset) throw notFound('Dashboard file');
  ctx.set(SECURITY_HEADERS);
  ctx.set('etag', asset.etag);
  ctx.type = asset.contentType;
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.body = asset.body;
}

/** The dashboard's page and its files: public, since the page holds no data (the API does, behind the PAT). */
export function dashboardRoutes(assets: Map<string, Asset>) {
  return defineRoutes([
    {
      method: 'GET',
      path: '/dashboard',
      summary: 'The partner dashboard (single page; signs in with a personal access token)',
      tags: ['dashboard'],
      auth: 'public',
      responses: { 200: { description: 'HTML', contentType: 'text/html', schema: { type: 'string' } }, 304: { description: 'If-None-Match matched the ETag' } },
      async handler(ctx) {
        send(ctx, assets.get('index.html'));
      },
    },
    {
      // Two fixed levels (dir/file) keep asset URLs off the `/{handle}/{slug}` shape of short links.
      method: 'GET',
      path: '/dashboard/{dir}/{file}',
      summary: "The dashboard's static files (ES modules, stylesheet, images)",
      tags: ['dashboard'],
      auth: 'public',
      params: { type: 'object', properties: { dir: segment, file: segment } },
      responses: { 200: { description: 'The file, with its own content type (JavaScript, CSS, SVG, ...)', contentType: '*/*' }, 304: { description: 'If-None-Match matched the ETag' }, 404: { description: 'not_found: no such file' } },
      async handler(ctx) {
        send(ctx, assets.get(`${ctx.params.dir}/${ctx.params.file}`));
      },
    },
  ]);
}
