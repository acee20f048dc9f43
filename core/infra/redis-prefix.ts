// The Redis namespace of a deployment: REDIS_PREFIX when set, else one derived from the database the
// deployment writes to (its cluster's system identifier and its name). Two deployments on one Redis
// with the same namespace would share their webhook queue (a job taken by the other deployment's
// worker finds no delivery there and is dropped, so the delivery waits for the recovery sweep),
// their bus and their rate-limit counters; every process of one deployment reaches the same database,
// so they agree on it.
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

export async function redisPrefixOf(configured: string, pg: Pool): Promise<string> {
  if (configured) return configured;
  // The cluster's identifier tells two databases of one name on different servers apart; a server
  // that does not let us read it leaves the name alone.
  const cluster = await pg.query('select system_identifier::text as id from pg_control_system()').then((r) => r.rows[0]?.id as string, () => '');
  const { rows } = await pg.query('select current_database() as name');
  return `tenx-${createHash('sha256').update(`${cluster}/${rows[0].name}`).digest('hex').slice(0, 8)}`;
}
