import pg from 'pg';
import type { Logger } from 'pino';

/** How long a request waits for a pooled connection before it is answered 503 (see toHttpError). */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A pg pool of the process (DATABASE_URL's; DATABASE_READ_URL's when set; the exports'). node-postgres
 * takes its own 'error' listener off a client while it is checked out, so a connection that dies then
 * (PostgreSQL restarted, a proxy cut) would emit an unhandled 'error' and kill the process. Every client gets a listener for its whole life here, at
 * creation, which covers every checkout: withTransaction, exports, pool.query. The holder still sees
 * the failure as its query's rejection, and the pool discards the dead client on release.
 *
 * `applicationName` names the pool's sessions in pg_stat_activity (`tenx`, `tenx-read`,
 * `tenx-export`), so an operator sees which pool holds a connection; an application_name in the
 * URL itself wins.
 */
export function createPool(connectionString: string, max: number, log: Logger, applicationName = 'tenx'): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: applicationName });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn({ err: err.message }, 'database connection lost while in use'));
  });
  return pool;
}
