// Makes the embedded database's template (core/db/embedded-template.ts): PGlite's initdb and the
// migrations, run once here instead of on every fresh DATA_DIR.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import { MANIFEST, pgliteVersion, type TemplateManifest } from './embedded-template.ts';
import { initOrm, migrate } from './orm.ts';
import { PGliteServer } from './pglite-server.ts';
import { packDir } from './tar.ts';

/** Files of a stopped PGlite data directory that belong to the process that ran it, not to the database. */
const RUNTIME_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'tenx.lock']);

/**
 * Writes a template to `out` (brotli-compressed when it ends in .br): a data directory after initdb
 * and every migration, or those up to and including `upTo` (to test that a data dir made from an
 * older template still migrates).
 */
export async function makeTemplate(out: string, log: Logger, opts: { upTo?: string } = {}): Promise<TemplateManifest> {
  const work = mkdtempSync(join(tmpdir(), 'tenx-template-'));
  try {
    const db = await PGlite.create(work);
    const server = new PGliteServer(db);
    try {
      const { host, port } = await server.start();
      const orm = await initOrm(`postgresql://postgres@${host}:${port}/postgres?sslmode=disable`, 2, log);
      try {
        if (opts.upTo) await orm.getMigrator().up({ to: opts.upTo });
        else await migrate(orm);
      } finally {
        await orm.close();
      }
    } finally {
      await server.stop();
    }
    const { rows } = await db.query<{ name: string }>('select name from mikro_orm_migrations order by id');
    // Everything in the data files, so the WAL holds nothing a start would have to replay.
    await db.exec('CHECKPOINT');
    await db.close();
    const manifest: TemplateManifest = { pglite: pgliteVersion(), migrations: rows.map((r) => r.name), createdAt: new Date().toISOString() };
    const tar = packDir(work, { skip: (name) => RUNTIME_FILES.has(name), extra: [{ name: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 2)) }] });
    const bytes = out.endsWith('.br')
      ? brotliCompressSync(tar, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: tar.length } })
      : tar;
    writeFileSync(`${out}.tmp`, bytes);
    renameSync(`${out}.tmp`, out);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
