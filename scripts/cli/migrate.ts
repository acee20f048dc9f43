// `tenx migrate`: apply pending database migrations and exit (deploy step before starting new server processes).
import type { Command } from 'commander';
import { action } from './output.ts';

async function runMigrate() {
  const { configOrExit } = await import('./operator.ts');
  const config = await configOrExit();
  const [{ initOrm, migrate }, { createLogger }, { startEmbeddedPostgres, embeddedOptions }] = await Promise.all([
    import('../../core/db/orm.ts'),
    import('../../core/infra/logger.ts'),
    import('../../core/db/embedded.ts'),
  ]);
  const log = createLogger(config.logLevel);
  // Without DATABASE_URL the server runs on the embedded database under DATA_DIR: migrate that one.
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, embeddedOptions(config));
  const orm = await initOrm(config.databaseUrl || embedded!.url, 2, log, [], config.databaseUrl ? 'DATABASE_URL' : undefined);
  try {
    const applied = await migrate(orm);
    const where = config.databaseUrl ? new URL(config.databaseUrl).pathname.slice(1) || 'postgres' : `embedded (${config.dataDir})`;
    process.stdout.write(applied.length ? `Applied ${applied.length} migration(s) to ${where}: ${applied.join(', ')}\n` : `Database ${where} is up to date.\n`);
  } catch (err) {
    throw new Error(`migration failed, nothing applied: ${(err as Error).message}`, { cause: err });
  } finally {
    await orm.close();
    await embedded?.stop();
  }
}

export function registerMigrateCommand(program: Command) {
  program
    .command('migrate')
    .description('apply pending migrations to DATABASE_URL (or the embedded database) and exit')
    .action(action(runMigrate));
}
