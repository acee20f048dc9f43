// The Redis namespace of a deployment: REDIS_PREFIX when set, else one derived from the deployment's
// id, a random id the first server start writes into its database (migration 0024). Two deployments
// on one Redis with the same namespace would share their webhook queue (a job taken by the other
// deployment's worker finds no delivery there and is dropped, so the delivery waits for the recovery
// sweep), their bus and their rate-limit counters; every process of one deployment reads the same
// row, so they agree. A database restored from another deployment's backup carries its id: set
// REDIS_PREFIX there if both share a Redis.
import type { Pool } from 'pg';
import type { Logger } from 'pino';

/** Used when the database has no deployment table (a server started on an unmigrated database). */
export const FALLBACK_PREFIX = 'tenx';

const isUndefinedTable = (err: unknown) => (err as { code?: string }).code === '42P01';

export async function redisPrefixOf(configured: string, pg: Pool, log: Logger): Promise<string> {
  if (configured) return configured;
  try {
    // Two statements: a process that lost the race to make the id reads the winner's row after its commit.
    await pg.query('insert into deployment (deployment_id) values (gen_random_uuid()) on conflict do nothing');
    const { rows } = await pg.query(`select replace(deployment_id::text, '-', '') as id from deployment`);
    return `tenx-${(rows[0].id as string).slice(0, 8)}`;
  } catch (err) {
    if (!isUndefinedTable(err)) throw err;
    log.warn({ redisPrefix: FALLBACK_PREFIX }, 'the database has no deployment id (not migrated): Redis keys use the fallback namespace');
    return FALLBACK_PREFIX;
  }
}
