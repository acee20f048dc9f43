import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { initOrm, migrate } from '../../core/db/orm.ts';
import { alive } from '../../core/infra/process.ts';
import { redisOptions } from '../../core/infra/redis.ts';

/** The server the suite runs against: TEST_DATABASE_URL, else DATABASE_URL, else the local one. */
export const BASE_DATABASE_URL =
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** One statement on the server's maintenance database, on a connection of its own. */
async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string): Promise<R[]> {
  const admin = new pg.Client({ connectionString: BASE_DATABASE_URL });
  await admin.connect();
  try {
    return (await admin.query<R>(sql)).rows;
  } finally {
    await admin.end();
  }
}

/**
 * The run every database of this process belongs to: the pid of mocha's main process. Under `--parallel` a
 * worker inherits it from the global set-up (test/support/root-hooks.ts), so the whole run's databases and
 * Redis keys share one prefix the teardown can sweep, whichever worker made them.
 */
export const RUN = process.env.TENX_TEST_RUN ?? String(process.pid);
const RUN_PREFIX = `tenx_test_${RUN}_`;

/**
 * This process's migrated database, made once and copied by `create database … template` (~0.1 s instead
 * of ~0.4 s of migrations per test server); one per worker, so no worker waits on another's migration;
 * all dropped by the global teardown at the end of the run.
 */
const TEMPLATE = `${RUN_PREFIX}template_${process.pid}`;
let template: Promise<void> | null = null;
function migratedTemplate(): Promise<void> {
  template ??= (async () => {
    await dropOrphanRuns();
    await adminQuery(`drop database if exists ${TEMPLATE} with (force)`);
    await adminQuery(`create database ${TEMPLATE}`);
    const orm = await initOrm(withDatabase(BASE_DATABASE_URL, TEMPLATE), 2, pino({ level: 'silent' }));
    try {
      await migrate(orm);
    } finally {
      await orm.close();
    }
  })();
  return template;
}

/**
 * Databases of runs on this machine whose main process is gone (killed before its teardown ran): dropped.
 * Only for a local server, where the pid in a database's name is a pid of this machine.
 */
async function dropOrphanRuns(): Promise<void> {
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(BASE_DATABASE_URL).hostname)) return;
  const rows = await adminQuery<{ datname: string }>(`select datname from pg_database where datname ~ '^tenx_test_[0-9]+_'`);
  for (const { datname } of rows) {
    const run = Number(datname.split('_')[2]);
    if (String(run) !== RUN && !alive(run)) await adminQuery(`drop database if exists ${datname} with (force)`);
  }
}

/**
 * Every database of this run, at its end: the templates (one per worker that started a server) and any a
 * test failed to drop.
 */
export async function dropRunDatabases(): Promise<void> {
  template = null;
  const rows = await adminQuery<{ datname: string }>(`select datname from pg_database where starts_with(datname, '${RUN_PREFIX}')`);
  for (const { datname } of rows) await adminQuery(`drop database if exists ${datname} with (force)`);
}

/**
 * A fresh database per test server, dropped afterwards, so runs never see each other's data: empty,
 * or with every migration applied (`migrated`, what a server would have after its first start).
 * `kept`: one meant to outlive its process (the analytics bench's `--keep`, measured again with `--reuse`),
 * named `tenx_kept_…`, outside every run: a run's teardown and the next run's sweep of dead runs leave it; drop it by hand.
 */
export async function createTestDatabase(opts: { migrated?: boolean; kept?: boolean } = {}): Promise<TestDatabase> {
  const name = `${opts.kept ? 'tenx_kept_' : RUN_PREFIX}${randomBytes(4).toString('hex')}`;
  if (opts.migrated) await migratedTemplate();
  await adminQuery(`create database ${name}${opts.migrated ? ` template ${TEMPLATE}` : ''}`);
  return {
    name,
    url: withDatabase(BASE_DATABASE_URL, name),
    async drop() {
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * A new database migrated up to `version` (the state the next migration finds), with `seed`'s rows
 * written over one connection: what an upgrade test starts a server on.
 */
export async function databaseAt(version: string, seed: (sql: pg.Pool) => Promise<void>): Promise<TestDatabase> {
  const db = await createTestDatabase();
  const orm = await initOrm(db.url, 2, pino({ level: 'silent' }));
  const sql = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    await orm.getMigrator().up({ to: version });
    await seed(sql);
  } finally {
    await sql.end();
    await orm.close();
  }
  return db;
}

/**
 * Deletes every Redis key that starts with `prefix` (`tenx-test-<database>:`, a bench server's prefix, …): a server's
 * BullMQ keys outlive it in the shared Redis. Never throws: Redis may be the thing a test took away, and leftover
 * keys are harmless.
 */
export async function dropRedisKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const { createClient } = await import('redis');
  // The kernel's options (one client class for both: core/infra/redis.ts), never reconnecting.
  const client = createClient(redisOptions(url, () => false));
  client.on('error', () => {});
  try {
    await client.connect();
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...([] as string[]).concat(batch));
    for (let i = 0; i < keys.length; i += 500) await client.del(keys.slice(i, i + 500));
  } catch {
    // Leftover keys are harmless.
  } finally {
    await client.quit().catch(() => client.destroy());
  }
}
