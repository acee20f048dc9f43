import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';
import { registerCreateHandleCommand } from './create-handle.ts';
import { registerMigrateCommand } from './migrate.ts';
import { registerReconcileCommand } from './reconcile.ts';
import { registerSeedDemoCommand } from './seed-demo.ts';

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

export async function serve() {
  const config = await configOrExit();
  const { startKernel } = await import('../../core/kernel.ts');
  let kernel;
  try {
    kernel = await startKernel(config);
  } catch (err) {
    process.stderr.write(`tenx: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const { log, url } = kernel;
  // From the process's start (performance.timeOrigin) to listening: module loading and config count too,
  // which is what an operator waits for (the kernel's own startedInMs counts only from startKernel).
  const startedInMs = Math.round(performance.now());
  const mode = config.databaseUrl ? 'postgresql' : 'embedded';
  log.info({ url, mode, redis: Boolean(config.redisUrl), startedInMs, kernelStartedInMs: kernel.startedInMs }, 'tenx is serving');
  // The banner and the admin token are for a human: stderr, so stdout stays one JSON log line per line
  // for a log shipper, and the token never reaches the log pipeline.
  const lines = [
    '',
    `tenx is serving on ${url}  (${mode} database${config.redisUrl ? ', redis' : ', no redis'}; started in ${startedInMs} ms)`,
    `  API docs:   ${url}/docs`,
    `  Dashboard:  ${url}/dashboard`,
  ];
  if (kernel.generatedAdminToken) lines.push(`  Admin token (shown once, kept in ${config.dataDir}/secrets.json): ${kernel.config.adminToken}`);
  process.stderr.write(`${lines.join('\n')}\n\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('graceful shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    kernel.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

export function registerOperatorCommands(program: Command) {
  program.command('serve').description('start the HTTP server (embedded PostgreSQL when DATABASE_URL is empty)').action(serve);
  registerMigrateCommand(program);
  registerCreateHandleCommand(program);
  registerSeedDemoCommand(program);
  registerReconcileCommand(program);
}
