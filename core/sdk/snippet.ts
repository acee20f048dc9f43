// The merchant-side scripts tenx serves (today: ctx.js), read once at start with their ETags and
// gzipped bodies, so a request costs a header comparison.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export interface Snippet {
  body: Buffer;
  gzipped: Buffer;
  /** Strong validators, one per representation (identity, gzip). */
  etag: string;
  gzipEtag: string;
}

export function loadSnippet(name: string): Snippet {
  const body = readFileSync(new URL(`./public/${name}`, import.meta.url));
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, gzipped: gzipSync(body, { level: 9 }), etag: `"${hash}"`, gzipEtag: `"${hash}-gz"` };
}
