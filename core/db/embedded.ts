import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGliteServer } from './pglite-server.ts';
import { seedDataDir, type Seeded } from './embedded-template.ts';
import { alive } from '../infra/process.ts';

export interface EmbeddedPostgres {
  url: string;
  /** Where a new data directory came from (template, or PGlite's initdb), or that it existed. */
  seeded: Seeded;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** EMBEDDED_TEMPLATE: '' the shipped template, 'none' initdb, or a template file. */
  template?: string;
  /** EMBEDDED_SHARED_BUFFERS_MB: PostgreSQL's page cache inside PGlite's WebAssembly memory. */
  sharedBuffersMb?: number;
}

export const embeddedOptions = (config: { embeddedTemplate: string; embeddedSharedBuffersMb: number }): EmbeddedOptions => ({
  template: config.embeddedTemplate,
  sharedBuffersMb: config.embeddedSharedBuffersMb,
});

/**
 * PGlite's defaults (shared_buffers 128 MB and more) sized for a database server: every buffer
 * touched stays in the process's RSS. 16 MB keeps a laptop's embedded tenx small; PGlite's own
 * start parameters stay (single-user mode, no fsync, ...).
 * Prepared statements run on their generic plans: the batch statements (the conversion claim, its repeats, the click
 * flush) were planned anew for every batch of a few rows, ~12 → ~4.7 ms p50 for a merchant's conversion posted alone
 * (docs/performance.md). On PostgreSQL each of those transactions sets it for itself (FORCE_GENERIC_PLAN); PGlite runs
 * them outside a transaction of their own, in its one session, so here it is the server's setting. Unnamed statements
 * (migrations, ad hoc queries) are planned for their values as ever.
 */
const startParams = (sharedBuffersMb: number) => [
  ...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`, '-c', 'plan_cache_mode=force_generic_plan',
];

/**
 * Embedded PostgreSQL for `npm start` with no DATABASE_URL: PGlite persisted under dataDir, served
 * on a loopback socket so the ordinary postgres driver (and its real per-connection transactions)
 * can talk to it. See docs/architecture.md "Embedded PostgreSQL" for why not mikro-orm-pglite.
 */
export async function startEmbeddedPostgres(dataDir: string, opts: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const dir = `${dataDir}/pg`;
  mkdirSync(dir, { recursive: true });
  const unlock = lockDataDir(dir);
  let db: PGlite;
  let seeded: Seeded;
  try {
    seeded = await seedDataDir(dir, opts.template ?? '');
    db = await PGlite.create(dir, { startParams: startParams(opts.sharedBuffersMb ?? 16) });
  } catch (err) {
    unlock();
    throw err;
  }
  // Not pglite-socket: it interleaves concurrent connections' protocol messages (see pglite-server.ts).
  const server = new PGliteServer(db);
  let address: { host: string; port: number };
  try {
    address = await server.start();
  } catch (err) {
    await db.close().catch(() => {});
    unlock();
    throw err;
  }
  const { host, port } = address;
  return {
    url: `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`,
    seeded,
    async stop() {
      await server.stop();
      await db.close();
      unlock();
    },
  };
}

/**
 * PGlite is one process's database: two processes on one folder would corrupt it. A lock file
 * holding the owner's pid keeps a second `tenx serve` (or `tenx migrate` / `reconcile` while the
 * server runs) out with a clear message; a lock left by a process that died is taken over.
 */
function lockDataDir(dir: string): () => void {
  const file = `${dir}/tenx.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      // Our own pid in the file: left by an earlier run that got the same pid (a container's pid 1
      // after a crash), since this process takes the lock only once.
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(
          `the embedded database in ${dir} is in use by process ${owner} (a running tenx serve?); stop it first, or set DATABASE_URL to share a PostgreSQL server between processes`,
          { cause: err },
        );
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not lock the embedded database in ${dir}`);
}
