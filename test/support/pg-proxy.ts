import pg from 'pg';
import { BASE_DATABASE_URL, createTestDatabase } from './database.ts';
import { startTestServer } from './server.ts';
import { startTcpProxy } from './tcp-proxy.ts';

/** A test server whose every database connection (pool, ORM, assertions) goes through a proxy. */
export async function proxiedServer(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const base = new URL(BASE_DATABASE_URL);
  const proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 5432) });
  const server = await startTestServer({ db: { ...db, url: proxy.urlFor(db.url) }, env });
  server.sql.on('error', () => {});
  // Rows are asserted over a direct connection, which no cut reaches.
  const direct = new pg.Pool({ connectionString: db.url, max: 2 });
  direct.on('error', () => {});
  return {
    server, proxy, db, direct,
    async close() {
      await server.close();
      await proxy.close();
      await direct.end();
      await db.drop();
    },
  };
}
