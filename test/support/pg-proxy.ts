import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { BASE_DATABASE_URL, createTestDatabase } from './database.ts';
import { startTestServer } from './server.ts';

/**
 * A TCP proxy between a test server and the shared PostgreSQL: the test can cut every proxied
 * connection and refuse new ones for a while (what a PostgreSQL restart looks like to a client)
 * without touching the PostgreSQL every other test uses.
 */
export interface PgProxy {
  /** `url` with host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Destroys every proxied connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Connections cut so far. */
  readonly cutConnections: number;
  close(): Promise<void>;
}

export async function startPgProxy(target: { host: string; port: number }): Promise<PgProxy> {
  const sockets = new Set<net.Socket>();
  let cutConnections = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) => new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', () => ok()));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async cut() {
      // Closed first, so a reconnect racing the cut is refused rather than accepted.
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      cutConnections += [...sockets].filter((s) => s.remotePort !== target.port).length;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    async restore() {
      await listen(port);
    },
    get cutConnections() {
      return cutConnections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** A test server whose every database connection (pool, ORM, assertions) goes through a proxy. */
export async function proxiedServer(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const base = new URL(BASE_DATABASE_URL);
  const proxy = await startPgProxy({ host: base.hostname, port: Number(base.port || 5432) });
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
