import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGliteServer } from './pglite-server.ts';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Embedded PostgreSQL for `npm start` with no DATABASE_URL: PGlite persisted under dataDir, served
 * on a loopback socket so the ordinary postgres driver (and its real per-connection transactions)
 * can talk to it. See shared/NOTES.md for why not mikro-orm-pglite.
 */
export async function startEmbeddedPostgres(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
  const dir = `${dataDir}/pg`;
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  // Not pglite-socket: it interleaves concurrent connections' protocol messages (see pglite-server.ts).
  const server = new PGliteServer(db);
  const { host, port } = await server.start();
  return {
    url: `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
