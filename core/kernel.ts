import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import pg from 'pg';
import type Koa from 'koa';
import type { Config } from '../config/index.ts';
import { buildApp } from './app.ts';
import { embeddedOptions, startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { numeric } from './db/numeric.ts';
import { initOrm, migrate, type Orm } from './db/orm.ts';
import { createPool } from './db/pool.ts';
import { createBus } from './infra/bus.ts';
import { createCounters } from './infra/counters.ts';
import { createLogger, type Logger } from './infra/logger.ts';
import { connectRedis, workerConnection } from './infra/redis.ts';
import { entities, modules } from './modules.ts';
import { PluginHost } from './plugins/host.ts';
import { createJsonPoster, pluginPostJson } from './notifications/http-delivery.ts';
import { loadAllPlugins } from './plugins/loader.ts';
import { readTenantFiles } from './plugins/tenant-files.ts';
import { createCtxCodec } from './redirect/ctx-token.ts';
import { ensureSecrets } from './secrets.ts';
import { redisPrefixOf } from './infra/redis-prefix.ts';
import { answerClientErrors, refuseMalformed, serverOptions } from './http/client-error.ts';

/** Shutdown: how long idle keep-alive connections stay open after the server stops accepting, for requests already on their way. */
const IDLE_GRACE_MS = 300;
/** How long before the shutdown deadline webhook sends still in flight are cut off: time to record their attempts. */
const INTERRUPT_MARGIN_MS = 500;
/** Listen addresses that mean every interface: the server's own URL then says localhost. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A fast lane answers a request before Koa sees it (the redirect hot path); false = not mine. */
export type FastLane = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export interface Kernel {
  config: Config;
  container: AwilixContainer;
  app: Koa;
  server: http.Server;
  url: string;
  log: Logger;
  unshownAdminToken: boolean;
  startedInMs: number;
  close(): Promise<void>;
}

// Pool connections hand back bigints as JS numbers (counts stay far below 2^53; no money is a bigint), and
// numerics as numbers too, except a money sum a double would round: its exact digits, a raw JSON number (db/numeric.ts).
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, numeric);

export interface KernelOptions {
  listen?: boolean;
  log?: Logger;
  /** false: the caller applied migrations already (`tenx serve --workers N`: the primary, once, before forking). */
  migrate?: boolean;
}

/** Boots everything in dependency order: database, Redis, plugins, modules, HTTP server. */
export async function startKernel(baseConfig: Config, opts: KernelOptions = {}): Promise<Kernel> {
  const started = performance.now();
  const { config, unshownAdminToken } = ensureSecrets(baseConfig);
  const log = opts.log ?? createLogger(config.logLevel);
  const closers: Array<() => Promise<unknown> | unknown> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch((err) => log.warn({ err }, 'error while closing'));
    closers.length = 0;
  };

  try {
    let embedded: EmbeddedPostgres | null = null;
    if (!config.databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, embeddedOptions(config));
      closers.push(() => embedded!.stop());
      const { seeded } = embedded;
      if (seeded.from === 'template') log.info({ dataDir: config.dataDir, templateMigrations: seeded.manifest.migrations.length }, 'embedded database created from the template');
      if (seeded.from === 'initdb') log.warn({ dataDir: config.dataDir, reason: seeded.reason }, 'embedded database created by initdb (slow: no usable template; `npm run embedded-template` makes one)');
    }
    const databaseUrl = config.databaseUrl || embedded!.url;
    const orm: Orm = await initOrm(databaseUrl, config.databasePoolMax, log, entities, config.databaseUrl ? 'DATABASE_URL' : undefined);
    closers.push(() => orm.close());
    if (opts.migrate !== false) {
      const applied = await migrate(orm);
      if (applied.length) log.info({ applied }, 'migrations applied');
    }
    const pool = createPool(databaseUrl, config.databasePoolMax, log);
    closers.push(() => pool.end());
    // The read-only analytics queries' pool: DATABASE_READ_URL (a replica) when set, else the same pool.
    const readPool = config.databaseReadUrl ? createPool(config.databaseReadUrl, config.databasePoolMax, log, 'tenx-read') : pool;
    if (readPool !== pool) closers.push(() => readPool.end());

    // Every key, channel and queue below lives under this namespace (set once, before anything uses it).
    (config as { redisPrefix: string }).redisPrefix = await redisPrefixOf(config.redisPrefix, pool, log);
    const redis = await connectRedis(config.redisUrl, log);
    // quit() never settles while Redis is unreachable; destroy() drops the reconnect loop.
    if (redis) closers.push(() => (redis.isReady ? redis.quit().catch(() => redis.destroy()) : redis.destroy()));
    // Closed before the kernel's client and after the modules (closers run in reverse).
    const workerRedis = redis ? workerConnection(redis) : null;
    if (workerRedis) closers.push(() => workerRedis.destroy());
    const bus = await createBus(redis, config.redisPrefix, log);
    closers.push(() => bus.close());
    const counters = createCounters(redis, config.redisPrefix);

    const tenantFiles = readTenantFiles(config.tenantsDir);
    const manifests = await loadAllPlugins(ROOT, config.plugins);
    // One keep-alive, SSRF-guarded poster for every plugin's PluginApi.postJson and the partner postbacks, closed after
    // the plugins; close() below cuts its sends still in flight before the shutdown deadline.
    const poster = createJsonPoster();
    closers.push(() => poster.close());
    const policy = { allowPrivate: config.webhookAllowPrivate, allowedPorts: config.webhookAllowedPorts, timeoutMs: config.webhookTimeoutMs };
    const pluginHost = new PluginHost(manifests, { orm, bus, counters, log, tenantFiles, tenantsDir: config.tenantsDir, postJson: (l) => pluginPostJson(poster, policy, l) });
    pluginHost.checkTenantFiles();
    closers.push(() => pluginHost.close());

    const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
    container.register({
      config: asValue(config), log: asValue(log), orm: asValue(orm), pg: asValue(pool), pgRead: asValue(readPool), redis: asValue(redis), workerRedis: asValue(workerRedis),
      bus: asValue(bus), counters: asValue(counters), pluginHost: asValue(pluginHost), jsonPoster: asValue(poster), embedded: asValue(Boolean(embedded)),
      ctxCodec: asValue(createCtxCodec(config.ctxSecrets)),
      // Set by close() below; null while serving, or when a failed start closes what it had started.
      shutdownDeadline: asValue(null),
    });
    for (const m of modules) m.register?.(container);
    const routeTable = modules.flatMap((m) => m.routes?.(container.cradle) ?? []);
    container.register({ routeTable: asValue(routeTable) });
    const app = buildApp(container, routeTable);

    for (const m of modules) {
      await m.start?.(container.cradle);
      closers.push(() => m.stop?.(container.cradle));
    }

    const koaListener = app.callback();
    const fastLane: FastLane | null = container.hasRegistration('fastLane') ? container.resolve('fastLane') : null;
    const route: http.RequestListener = fastLane ? (req, res) => fastLane(req, res) || koaListener(req, res) : koaListener;
    // A block, not an expression: a listener that returns a value (here a boolean) makes EventEmitter's emit call
    // addCatch on it for every request (a megamorphic keyed load in the redirect's on-CPU profile).
    const serve: http.RequestListener = (req, res) => {
      if (!refuseMalformed(req, res)) route(req, res);
    };
    const server = http.createServer(serverOptions(config.requestTimeoutMs), serve);
    server.keepAliveTimeout = 65_000;
    answerClientErrors(server);
    if (opts.listen !== false) {
      await new Promise<void>((ok, fail) => server.once('error', fail).listen(config.port, config.host, () => ok()));
    }
    const port = (server.address() as AddressInfo | null)?.port ?? config.port;
    // The address it was started on when that is one (HOST=192.168.1.20: short links others on the network can
    // follow); localhost when it listens on every interface.
    const url = `http://${WILDCARD_HOSTS.has(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    if (!config.publicUrl) (config as { publicUrl: string }).publicUrl = url;

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        // When `tenx serve` forces the exit (SHUTDOWN_TIMEOUT_MS after the signal), less a margin: what must be
        // written before it (the click buffer) stops trying by then and spills or counts what is left.
        const deadline = Date.now() + config.shutdownTimeoutMs - Math.min(1000, config.shutdownTimeoutMs / 4);
        container.register({ shutdownDeadline: asValue(deadline) });
        // A webhook or postback still waiting on its endpoint by then is cut off (recorded as interrupted, sent again by
        // another process or the next start), leaving its attempt the time to be written: it held the stop for the whole
        // WEBHOOK_TIMEOUT_MS, as long as the default SHUTDOWN_TIMEOUT_MS, and the process was then killed mid-send.
        const interruptSends = setTimeout(() => poster.interrupt(), Math.max(0, deadline - INTERRUPT_MARGIN_MS - Date.now()));
        interruptSends.unref();
        // Stop accepting, let in-flight requests finish, then flush buffers and close pools. net.Server's close
        // stops accepting without dropping idle keep-alive connections at once (http.Server's close does both):
        // a client sending on one in the next moment gets its answer with `Connection: close`, not a reset.
        // After the grace, idle connections are closed, and again every 100 ms: a keep-alive connection whose
        // request was in flight at the signal (answered before `draining`) goes once its answer is out. The
        // last resort, closing every connection, comes before the forced exit (serve.ts) so the flush still runs.
        // Draining: each answer closes its keep-alive connection (`Connection: close`). The listener is swapped
        // rather than checked per request, so the redirect's hot path carries nothing for it.
        server.removeListener('request', serve);
        server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
          res.shouldKeepAlive = false;
          serve(req, res);
        });
        const timers: NodeJS.Timeout[] = [];
        await new Promise<void>((ok) => {
          net.Server.prototype.close.call(server, () => ok());
          timers.push(setTimeout(() => {
            server.closeIdleConnections();
            timers.push(setInterval(() => server.closeIdleConnections(), 100).unref());
          }, IDLE_GRACE_MS).unref());
          timers.push(setTimeout(() => server.closeAllConnections(), Math.max(IDLE_GRACE_MS, Math.min(config.shutdownTimeoutMs - 1000, 5000))).unref());
        });
        for (const t of timers) clearTimeout(t);
        server.close(); // already closed: this only stops http.Server's connection checks, which would keep the app alive
        await closeAll();
        clearTimeout(interruptSends);
      })());
    return { config, container, app, server, url, log, unshownAdminToken, startedInMs: Math.round(performance.now() - started), close };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
