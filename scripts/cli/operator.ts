import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';
import { registerCreateHandleCommand } from './create-handle.ts';
import { registerMigrateCommand } from './migrate.ts';
import { registerReconcileCommand } from './reconcile.ts';
import { registerSeedDemoCommand } from './seed-demo.ts';
import { serve } from './serve.ts';

/** Loads config or exits with one clear line naming the bad variable. */
export async function configOrExit(): Promise<Config> {
  // Imported lazily: API commands should not pay for the server's modules at start-up.
  const { ConfigError, loadConfig } = await import('../../config/index.ts');
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tenx: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function registerOperatorCommands(program: Command) {
  program
    .command('serve')
    .description('start the HTTP server (embedded PostgreSQL when DATABASE_URL is empty)')
    .option('--workers <n>', 'server processes on one port (node:cluster); default WORKERS, else one per core with DATABASE_URL, 1 embedded')
    .action(serve);
  registerMigrateCommand(program);
  registerCreateHandleCommand(program);
  registerSeedDemoCommand(program);
  registerReconcileCommand(program);
}
