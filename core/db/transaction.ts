import type { Pool, PoolClient } from 'pg';

/**
 * Runs fn in one PostgreSQL transaction on a pooled client; rolls back on any throw. `begin` sets
 * the mode, e.g. 'begin isolation level repeatable read read only' for one consistent snapshot.
 */
export async function withTransaction<T>(pg: Pool, fn: (client: PoolClient) => Promise<T>, begin = 'begin'): Promise<T> {
  const client = await pg.connect();
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
