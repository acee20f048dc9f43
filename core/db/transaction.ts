import type { Pool, PoolClient } from 'pg';

/**
 * Runs fn on a pooled client and rolls back on any throw (fn's own transaction, whichever way it began). A client
 * whose rollback failed may still be inside the transaction: it does not go back to the pool. The client's
 * 'error' events while it is held are handled by the pool (core/db/pool.ts).
 */
export async function onPooledClient<T>(pg: Pick<Pool, 'connect'>, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pg.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    await client.query('rollback').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs fn in one PostgreSQL transaction on a pooled client; rolls back on any throw. `begin` sets
 * the mode, e.g. 'begin isolation level repeatable read read only' for one consistent snapshot.
 */
export function withTransaction<T>(pg: Pool, fn: (client: PoolClient) => Promise<T>, begin = 'begin'): Promise<T> {
  return onPooledClient(pg, async (client) => {
    await client.query(begin);
    const result = await fn(client);
    await client.query('commit');
    return result;
  });
}
