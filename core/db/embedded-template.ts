// A fresh DATA_DIR starts from a data directory made once (initdb + every migration known when it
// was made), shipped as core/db/embedded-template/pgdata.tar.br: PGlite's initdb costs 5–15 s and
// ~900 MB of RSS, unpacking this ~0.2 s. The template is only a head start: migrations newer than it
// run on start like on any older data dir. Regenerate with `npm run embedded-template`.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import { readTar, unpack } from './tar.ts';

export const SHIPPED_TEMPLATE = fileURLToPath(new URL('./embedded-template/pgdata.tar.br', import.meta.url));
/** Describes the template inside the archive (not unpacked): which PGlite made it, and its migrations. */
export const MANIFEST = 'tenx-template.json';
/** Written after everything else: PGlite treats a folder with PG_VERSION as a database to open. */
const PG_VERSION = 'PG_VERSION';
const LOCK = 'tenx.lock';

export interface TemplateManifest {
  pglite: string;
  migrations: string[];
  createdAt: string;
}

/** The installed @electric-sql/pglite version: a data directory is only known to open with the build that made it. */
export function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@electric-sql/pglite');
  let dir = dirname(main);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export type Seeded =
  | { from: 'existing' }
  | { from: 'template'; manifest: TemplateManifest }
  | { from: 'initdb'; reason: string };

/**
 * Fills an empty embedded data directory `dir` (DATA_DIR/pg, already locked) from `template`.
 * `template`: a path, '' for the shipped one, 'none' to let PGlite run initdb. A folder with
 * PG_VERSION is a database and is left alone; one without it holds at most an unpack cut short
 * (PG_VERSION is written last), so its files are removed and the unpack starts over.
 * The shipped template is skipped (initdb) when another PGlite version made it; an explicit one is refused.
 */
export function seedDataDir(dir: string, template: string): Seeded {
  if (existsSync(join(dir, PG_VERSION))) return { from: 'existing' };
  if (template === 'none') return { from: 'initdb', reason: 'EMBEDDED_TEMPLATE=none' };
  const file = template || SHIPPED_TEMPLATE;
  if (!template && !existsSync(file)) return { from: 'initdb', reason: `no template at ${file}` };
  const raw = readFileSync(file);
  const entries = readTar(file.endsWith('.br') ? brotliDecompressSync(raw) : raw);
  const manifestEntry = entries.find((e) => e.name === MANIFEST);
  const manifest = manifestEntry ? (JSON.parse(manifestEntry.data.toString('utf8')) as TemplateManifest) : null;
  const installed = pgliteVersion();
  if (!manifest || manifest.pglite !== installed || !entries.some((e) => e.name === PG_VERSION)) {
    const why = `${file} was made by PGlite ${manifest?.pglite ?? '(unknown)'}, this is PGlite ${installed}`;
    if (template) throw new Error(`EMBEDDED_TEMPLATE: ${why}; make one with \`npm run embedded-template -- <file>\``);
    return { from: 'initdb', reason: why };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(dir)) if (name !== LOCK) rmSync(join(dir, name), { recursive: true, force: true });
  unpack(entries.filter((e) => e.name !== MANIFEST), dir, (name) => name === PG_VERSION);
  return { from: 'template', manifest };
}
