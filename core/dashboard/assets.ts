import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * Every servable file, keyed by its URL path under /dashboard/. Requests are looked up in this
 * catalogue only, so no request path ever reaches the file system (traversal is impossible).
 */
export function loadAssets(dir = PUBLIC_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      if (name.startsWith('.')) continue;
      const full = join(at, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(name).toLowerCase()];
      if (!contentType) continue;
      const body = readFileSync(full);
      assets.set(relative(dir, full).split(sep).join('/'), { body, contentType, etag: etagOf(body) });
    }
  };
  walk(dir);
  preloadModules(assets);
  return assets;
}

/**
 * The page names every module up front (`<link rel="modulepreload">`), so the browser fetches them all at once
 * instead of finding each level of imports only after the one above it arrived: with no build step the
 * dashboard is ~40 modules four imports deep, and `cache-control: no-cache` revalidates each on every load.
 * Made from the catalogue, so the list cannot drift from the files.
 */
function preloadModules(assets: Map<string, Asset>): void {
  const page = assets.get('index.html');
  if (!page) return;
  const entry = '<script type="module"';
  const html = page.body.toString('utf8');
  const at = html.indexOf(entry);
  if (at < 0) return;
  const links = [...assets.keys()]
    .filter((path) => path.startsWith('js/') && path.endsWith('.js'))
    .map((path) => `<link rel="modulepreload" href="/dashboard/${path}">\n  `)
    .join('');
  const body = Buffer.from(html.slice(0, at) + links + html.slice(at));
  assets.set('index.html', { ...page, body, etag: etagOf(body) });
}

/** Self only: no inline script or style, no framing, API calls to this origin only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // No build step means no content-hashed names: revalidate every time, cheap with the ETag.
  'cache-control': 'no-cache',
};
