// `tenx serve [--workers N]`: one server process, or N of them on one port (node:cluster), each a
// whole stateless tenx. The primary of a cluster serves no request: it applies migrations once,
// forks the workers, replaces one that crashes, prints the banner once, and on SIGTERM/SIGINT lets
// every worker drain (see core/infra/cluster.ts).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../../config/index.ts';
import type { Kernel } from '../../core/kernel.ts';
import type { Logger } from '../../core/infra/logger.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** N from --workers, else WORKERS, else one per core with DATABASE_URL and REDIS_URL, else 1; exits 2 when impossible. */
export function workerCount(flag: string | undefined, config: Config): number {
  if (flag !== undefined && !/^\d{1,4}$/.test(flag)) usage(`--workers must be a whole number (0: automatic), got "${flag}"`);
  const asked = flag !== undefined ? Number(flag) : config.workers;
  if (!config.databaseUrl) {
    if (asked > 1) {
      usage(`--workers ${asked} needs DATABASE_URL: the embedded database (PGlite) lives in one process, so embedded mode runs one server process`);
    }
    return 1;
  }
  // Processes share link-cache invalidation, counters and the delivery queue through Redis: without
  // it a campaign changed on one worker would stay stale on the others.
  if (!config.redisUrl) {
    if (asked > 1) {
      usage(`--workers ${asked} needs REDIS_URL: server processes share cache invalidation, counters and job queues through Redis, so without it tenx runs one server process`);
    }
    return 1;
  }
  // A typo (1000 for 10) would fork a process per count, each opening its own pools: more than 4 per core cannot
  // answer faster on any machine, so it is refused before anything starts.
  const most = Math.max(8, 4 * availableParallelism());
  if (asked > most) {
    usage(`--workers ${asked} is more than 4 per core on this machine (${availableParallelism()} cores: at most ${most}), and each opens its own DATABASE_POOL_MAX connections`);
  }
  return asked || availableParallelism();
}

function usage(message: string): never {
  process.stderr.write(`tenx: ${message}\n`);
  process.exit(2);
}

export async function serve(opts: { workers?: string }) {
  // Before any major GC of the start (core/infra/tick-shape.ts): every process that will answer requests.
  (await import('../../core/infra/tick-shape.ts')).keepTickShape();
  const { configOrExit } = await import('./operator.ts'); // operator.ts registers this command
  const config = await configOrExit();
  if (cluster.isWorker) return serveWorker(config);
  const n = workerCount(opts.workers, config);
  return n === 1 ? serveAlone(config) : servePrimary(config, n);
}

/** Stops on SIGTERM/SIGINT (and, in a worker, when its primary is gone): drains, then exits 0. */
function exitOnSignal(config: Config, log: () => Logger, close: () => Promise<void>) {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log().info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log().error('graceful shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    const started = performance.now();
    close().then(
      () => {
        log().info({ ms: Math.round(performance.now() - started) }, 'stopped: requests drained, buffers flushed or spilled; exit 0');
        process.exit(0);
      },
      (err) => {
        log().error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, () => stop(signal));
  if (cluster.isWorker) {
    // node:cluster ends a worker on the spot when its primary vanishes (killed, crashed); taking that
    // exit as expected lets the worker drain first: its buffered clicks are written, not lost.
    cluster.worker!.once('disconnect', () => {
      cluster.worker!.exitedAfterDisconnect = true;
      stop('primary gone');
    });
  }
}

async function startOrExit(config: Config, opts: { log?: Logger; migrate?: boolean } = {}): Promise<Kernel> {
  const { startKernel } = await import('../../core/kernel.ts');
  try {
    return await startKernel(config, opts);
  } catch (err) {
    process.stderr.write(`tenx: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

function banner(config: Config, url: string, startedInMs: number, adminToken: string | null, workers: number) {
  const mode = config.databaseUrl ? 'postgresql' : 'embedded';
  const processes = workers > 1 ? `, ${workers} worker processes` : '';
  // The banner and the admin token are for a human: stderr, so stdout stays one JSON log line per line
  // for a log shipper, and the token never reaches the log pipeline.
  const lines = [
    '',
    `tenx is serving on ${url}  (${mode} database${config.redisUrl ? ', redis' : ', no redis'}${processes}; started in ${startedInMs} ms)`,
    `  API docs:   ${url}/docs`,
    `  Dashboard:  ${url}/dashboard`,
  ];
  if (adminToken) lines.push(`  Admin token (shown once, kept in ${config.dataDir}/secrets.json): ${adminToken}`);
  process.stderr.write(`${lines.join('\n')}\n\n`);
}

/** The banner, with the generated admin token if no start has shown it yet (then never again). */
async function bannerOnce(config: Config, url: string, startedInMs: number, unshownAdminToken: string | null, workers: number) {
  banner(config, url, startedInMs, unshownAdminToken, workers);
  if (!unshownAdminToken) return;
  try {
    (await import('../../core/secrets.ts')).markAdminTokenShown(config.dataDir);
  } catch (err) {
    // A DATA_DIR made read-only since: the server runs on; the token is shown again by the next start.
    process.stderr.write(`tenx: could not record in ${config.dataDir}/secrets.json that the admin token was shown: ${(err as Error).message}\n`);
  }
}

/**
 * Milliseconds since the process started: since its first start when scripts/tenx.js restarted it with its V8 flags
 * (which resets performance.timeOrigin; under load the first start alone took ~0.6 s), else since this one.
 */
const firstStartedAt = Number(process.env.TENX_STARTED_AT);
delete process.env.TENX_STARTED_AT; // not for the processes this one starts (cluster workers, plugins' children)
const sinceProcessStart = () => Math.round(firstStartedAt > 0 ? Date.now() - firstStartedAt : performance.now());

async function serveAlone(config: Config) {
  const kernel = await startOrExit(config);
  const { log, url } = kernel;
  // From the process's start (performance.timeOrigin) to listening: module loading and config count too,
  // which is what an operator waits for (the kernel's own startedInMs counts only from startKernel).
  const startedInMs = sinceProcessStart();
  const mode = config.databaseUrl ? 'postgresql' : 'embedded';
  log.info({ url, mode, redis: Boolean(config.redisUrl), startedInMs, kernelStartedInMs: kernel.startedInMs }, 'tenx is serving');
  exitOnSignal(config, () => log, () => kernel.close());
  await bannerOnce(config, url, startedInMs, kernel.unshownAdminToken ? kernel.config.adminToken : null, 1);
  await compactAfterStart(log);
}

/** Gives back what the start allocated (core/infra/start-garbage.ts): an idle server's RSS, not only a busy one's. */
async function compactAfterStart(log: Logger) {
  const { releaseStartGarbage } = await import('../../core/infra/start-garbage.ts');
  log.debug(releaseStartGarbage(), 'start garbage released');
}

/** A worker of a cluster: a whole tenx, without migrations (the primary ran them) or a banner. */
async function serveWorker(config: Config) {
  const [{ createLogger }, { joinClusterMetrics }, { LISTENING }] = await Promise.all([
    import('../../core/infra/logger.ts'),
    import('../../core/http/cluster-metrics.ts'),
    import('../../core/infra/cluster.ts'),
  ]);
  const log = createLogger(config.logLevel).child({ worker: cluster.worker!.id });
  // Listening for signals before the kernel starts: one that comes during start-up closes it once started.
  let started: (kernel: Kernel) => void = () => {};
  const kernelStarted = new Promise<Kernel>((ok) => (started = ok));
  exitOnSignal(config, () => log, async () => (await kernelStarted).close());
  joinClusterMetrics();
  const kernel = await startOrExit(config, { log, migrate: false });
  started(kernel);
  log.info({ url: kernel.url, pid: process.pid, kernelStartedInMs: kernel.startedInMs }, 'worker serving');
  process.send!({ type: LISTENING, url: kernel.url });
  await compactAfterStart(log);
}

async function servePrimary(config: Config, workers: number) {
  const [{ createLogger }, { ensureSecrets }, { initOrm, migrate }, { superviseWorkers }, { serveClusterMetrics }] = await Promise.all([
    import('../../core/infra/logger.ts'),
    import('../../core/secrets.ts'),
    import('../../core/db/orm.ts'),
    import('../../core/infra/cluster.ts'),
    import('../../core/http/cluster-metrics.ts'),
  ]);
  const log = createLogger(config.logLevel);
  // Once, before any worker exists: generated secrets (the workers read the same file) and migrations.
  const secrets = ensureSecrets(config);
  try {
    const orm = await initOrm(config.databaseUrl, 2, log, [], 'DATABASE_URL');
    try {
      const applied = await migrate(orm);
      if (applied.length) log.info({ applied }, 'migrations applied');
    } finally {
      await orm.close();
    }
  } catch (err) {
    process.stderr.write(`tenx: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  serveClusterMetrics();
  // The workers' own deadline first (SHUTDOWN_TIMEOUT_MS, then they exit 1); the primary kills what is left after.
  const supervisor = superviseWorkers({ workers, log, drainTimeoutMs: config.shutdownTimeoutMs + 5_000 });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return; // Ctrl-C reaches the workers too; a second signal changes nothing
    stopping = true;
    log.info({ signal, workers }, 'shutting down');
    supervisor.stop(signal).then((clean) => process.exit(clean ? 0 : 1));
  };
  for (const signal of SIGNALS) process.on(signal, () => stop(signal));
  let url: string;
  try {
    url = await supervisor.ready;
  } catch (err) {
    process.stderr.write(`tenx: failed to start: ${(err as Error).message}\n`);
    await supervisor.stop('SIGTERM');
    process.exit(1);
  }
  const startedInMs = sinceProcessStart();
  log.info({ url, mode: 'postgresql', redis: Boolean(config.redisUrl), workers, startedInMs }, 'tenx is serving');
  await bannerOnce(config, url, startedInMs, secrets.unshownAdminToken ? secrets.config.adminToken : null, workers);
}
