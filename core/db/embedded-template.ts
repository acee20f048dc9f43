// A fresh DATA_DIR starts from a data directory made once (initdb + every migration known when it
// was made), shipped as core/db/embedded-template/pgdata.tar.br (~1.5 MB): PGlite's initdb costs
// 5–15 s and ~900 MB of RSS, streaming this into DATA_DIR/pg ~0.3 s. The template is only a head
// start: migrations newer than it run on start like on any older data dir. Regenerate with
// `npm run embedded-template`.
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';
import { unpackStream } from './tar.ts';

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

/** The shipped template was made by another PGlite: not an error, the start runs initdb instead. */
class OtherBuild extends Error {}

/**
 * Fills an empty embedded data directory `dir` (DATA_DIR/pg, already locked) from `template`.
 * `template`: a path, '' for the shipped one, 'none' to let PGlite run initdb. A folder with
 * PG_VERSION is a database and is left alone; one without it holds at most an unpack cut short
 * (PG_VERSION is written last), so its files are removed and the unpack starts over.
 * The archive is streamed (its manifest comes first and is checked before anything is written):
 * the shipped template is skipped (initdb) when another PGlite version made it; an explicit one is refused.
 */
export async function seedDataDir(dir: string, template: string): Promise<Seeded> {
  if (existsSync(join(dir, PG_VERSION))) return { from: 'existing' };
  if (template === 'none') return { from: 'initdb', reason: 'EMBEDDED_TEMPLATE=none' };
  const file = template || SHIPPED_TEMPLATE;
  if (!template && !existsSync(file)) return { from: 'initdb', reason: `no template at ${file}` };
  const installed = pgliteVersion();
  let manifest: TemplateManifest | null = null;
  let pgVersion: Buffer | null = null;
  const read = createReadStream(file);
  const source = file.endsWith('.br') ? read.pipe(createBrotliDecompress()) : read;
  read.on('error', (err) => source.destroy(err));
  try {
    await unpackStream(source, dir, {
      keep: (name) => name === MANIFEST || name === PG_VERSION,
      kept: (name, data) => {
        if (name === PG_VERSION) pgVersion = data;
        else manifest = JSON.parse(data.toString('utf8')) as TemplateManifest;
      },
      beforeWrite: () => {
        const made = (manifest as TemplateManifest | null)?.pglite;
        if (made !== installed) {
          const why = `${file} was made by PGlite ${made ?? '(unknown)'}, this is PGlite ${installed}`;
          if (template) throw new Error(`EMBEDDED_TEMPLATE: ${why}; make one with \`npm run embedded-template -- <file>\``);
          throw new OtherBuild(why);
        }
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        for (const name of readdirSync(dir)) if (name !== LOCK) rmSync(join(dir, name), { recursive: true, force: true });
      },
    });
  } catch (err) {
    if (err instanceof OtherBuild) return { from: 'initdb', reason: err.message };
    throw err;
  } finally {
    read.destroy();
    source.destroy();
  }
  if (!manifest || !pgVersion) throw new Error(`${file} is not a template: it has no ${manifest ? PG_VERSION : MANIFEST}`);
  writeFileSync(join(dir, PG_VERSION), pgVersion, { mode: 0o600 });
  return { from: 'template', manifest };
}
