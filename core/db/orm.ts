import type { EntitySchema } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { migrations } from './migrations/index.ts';

export type Orm = MikroORM;

/** `entities`: every module's (core/modules.ts); migrations alone need none. */
/** Where a database URL points, for a message: user, host, port and database, never the password. */
export function databaseAt(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * `variable`: the setting the URL came from (DATABASE_URL), named when the server cannot connect, so the
 * operator reads one line saying which setting to fix and where it points, not a bare `connect ECONNREFUSED`.
 */
export async function initOrm(url: string, poolMax: number, log: Logger, entities: EntitySchema<any>[] = [], variable?: string): Promise<Orm> {
  try {
    return await openOrm(url, poolMax, log, entities);
  } catch (err) {
    if (!variable) throw err;
    throw cannotConnect(variable, url, err);
  }
}

/** "DATABASE_URL (postgresql://user@host:5432/db): cannot connect: …": which setting to fix and where it points, never its password. */
export function cannotConnect(variable: string, url: string, err: unknown): Error {
  return new Error(`${variable} (${databaseAt(url)}): cannot connect: ${(err as Error).message}`, { cause: err });
}

async function openOrm(url: string, poolMax: number, log: Logger, entities: EntitySchema<any>[]): Promise<Orm> {
  const orm = await MikroORM.init({
    clientUrl: url,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    // Money and counters come back as strings from pg; the services convert where they read.
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, snapshot: false, tableName: 'mikro_orm_migrations' },
    debug: false,
    logger: (msg) => log.debug({ orm: true }, msg),
  });
  return orm;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
