import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGliteServer } from './pglite-server.ts';
import { alive } from '../infra/process.ts';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Embedded PostgreSQL for `npm start` with no DATABASE_URL: PGlite persisted under dataDir, served
 * on a loopback socket so the ordinary postgres driver (and its real per-connection transactions)
 * can talk to it. See docs/architecture.md "Embedded PostgreSQL" for why not mikro-orm-pglite.
 */
export async function startEmbeddedPostgres(dataDir: string, _maxConnections: number): Promise<EmbeddedPostgres> {
  const dir = `${dataDir}/pg`;
  mkdirSync(dir, { recursive: true });
  const unlock = lockDataDir(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir);
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
