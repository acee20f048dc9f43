import type { EntitySchema } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { migrations } from './migrations/index.ts';

export type Orm = MikroORM;

/** `entities`: every module's (core/modules.ts); migrations alone need none. */
export async function initOrm(url: string, poolMax: number, log: Logger, entities: EntitySchema<any>[] = []): Promise<Orm> {
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
