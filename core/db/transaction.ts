import type { Pool, PoolClient } from 'pg';

/**
 * Runs fn in one PostgreSQL transaction on a pooled client; rolls back on any throw. `begin` sets
 * the mode, e.g. 'begin isolation level repeatable read read only' for one consistent snapshot.
 * The client's 'error' events while it is held are handled by the pool (core/db/pool.ts).
 */
export async function withTransaction<T>(pg: Pool, fn: (client: PoolClient) => Promise<T>, begin = 'begin'): Promise<T> {
  const client = await pg.connect();
  // A client whose rollback failed may still be inside the transaction: it must not go back to the pool.
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}
