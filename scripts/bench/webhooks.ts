// `npm run bench -- webhooks` (or `node scripts/bench/webhooks.ts [--events N] [--rate R]
// [--signing inline|workers|auto] [--concurrency C] [--no-redis]`): N outbox events fanned out to one subscription on
// a loopback receiver (own process) that verifies every signature with standardwebhooks.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { dropRedisKeys } from '../../test/support/database.ts';
import { loadConfig } from '../../config/index.ts';
import { startKernel, type Kernel } from '../../core/kernel.ts';
import type { OutboxService } from '../../core/outbox/service.ts';
import { createTestDatabase } from '../../test/support/database.ts';
import { arg, isMain, printTable, writeResult } from './support.ts';
import type { ReceiverMessage } from './webhook-receiver.ts';
import { measureSigningCost } from './webhook-signing.ts';

const ADMIN = 'bench-admin-token-webhooks-0123456789abcdef';
const TARGET_PER_S = 500;

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : fallback;
};

function startReceiver(): Promise<{ child: ChildProcess; url: string; counts(latencies?: boolean, reset?: boolean): Promise<Extract<ReceiverMessage, { kind: 'counts' }>> }> {
  const child = fork(fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url)), { stdio: 'inherit' });
  const counts = (latencies = false, reset = false) => new Promise<Extract<ReceiverMessage, { kind: 'counts' }>>((ok) => {
    const on = (m: ReceiverMessage) => {
      if (m.kind !== 'counts') return;
      child.off('message', on);
      ok(m);
    };
    child.on('message', on);
    child.send({ kind: 'counts', latencies, reset });
  });
  return new Promise((ok) => child.once('message', (m: ReceiverMessage) => m.kind === 'listening' && ok({ child, url: m.url, counts })));
}

async function api(base: string, path: string, token: string, body: unknown) {
  const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Writes `n` conversion.tested events in one statement, as a burst of committed conversions would. */
async function emit(sql: pg.Pool, kernel: Kernel, handle: string, n: number, offset: number) {
  await sql.query(
    `insert into outbox_events (event_id, handle, type, payload)
     select gen_random_uuid(), $1, 'conversion.tested',
            jsonb_build_object('clickId', gen_random_uuid(), 'campaignId', 'partner-alpha', 'conversionId', gen_random_uuid(),
                               'value', 24.99, 'currency', 'USD', 'eventType', 'affiliate_click', 'n', i)
       from generate_series($2::int, $3::int) i`,
    [handle, offset, offset + n - 1],
  );
  kernel.container.resolve<OutboxService>('outbox').wake();
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : 0);

export async function runWebhooksBench(opts: { events?: number; rate?: number; signing?: string; redis?: boolean; concurrency?: number } = {}) {
  const events = opts.events ?? arg('events', 10_000);
  const rate = opts.rate ?? arg('rate', 500);
  const signing = opts.signing ?? option('signing', 'auto');
  const redis = opts.redis ?? !process.argv.includes('--no-redis');
  const concurrency = opts.concurrency ?? arg('concurrency', 50);
  const db = await createTestDatabase();
  const receiver = await startReceiver();
  const prefix = `tenx-bench-wh-${process.pid}`;
  const kernel = await startKernel(loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, DATABASE_POOL_MAX: '20',
    REDIS_URL: redis ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : '', REDIS_PREFIX: prefix,
    ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn', CTX_SECRETS: 'bench-ctx-secret-0123456789abcdefghijklmn', SECRET_KEY: 'bench-secret',
    DATA_DIR: '/tmp/tenx-bench', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_SIGNING: signing, WEBHOOK_CONCURRENCY: String(concurrency),
    // The per-tenant shares, when the environment sets them (to see what they cost a burst to one endpoint).
    ...Object.fromEntries(['WEBHOOK_CONCURRENCY_PER_HANDLE', 'WEBHOOK_CONCURRENCY_PER_ENDPOINT'].filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
  }));
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const tenant = await api(kernel.url, '/v2/handles', ADMIN, { handle: 'bench', name: 'Bench' });
    const hook = await api(kernel.url, '/v2/handles/bench/webhooks', tenant.ownerToken, { endpointUrl: receiver.url, eventTypes: ['conversion.tested'] });
    receiver.child.send({ kind: 'secret', secret: hook.secret });
    const waitFor = async (total: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = await receiver.counts();
        if (c.verified + c.failed >= total || Date.now() > deadline) return c;
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // Burst: every event committed at once; throughput is what the engine sustains draining it.
    const started = performance.now();
    await emit(sql, kernel, 'bench', events, 0);
    await waitFor(events, 300_000);
    const burstSeconds = (performance.now() - started) / 1000;
    const burst = await receiver.counts(true, true);

    // Paced: events at a steady `rate` below capacity; latency is then what one event waits.
    const pacedEvents = Math.round(rate * 5);
    const tick = 50;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    for (let sent = 0; sent < pacedEvents; sent += perTick) {
      const t = performance.now();
      await emit(sql, kernel, 'bench', Math.min(perTick, pacedEvents - sent), events + sent);
      await new Promise((r) => setTimeout(r, Math.max(0, tick - (performance.now() - t))));
    }
    await waitFor(pacedEvents, 120_000);
    const paced = await receiver.counts(true);
    const { rows } = await sql.query(`select status, count(*)::int as n from deliveries group by status`);
    const signingCost = await measureSigningCost();

    const result = {
      redis, signing, concurrency, events,
      deliveriesPerSecond: Math.round((burst.verified / burstSeconds) * 10) / 10,
      burstP50Ms: pct(burst.latenciesMs!, 50), burstP99Ms: pct(burst.latenciesMs!, 99),
      pacedRate: rate, pacedEvents, pacedP50Ms: pct(paced.latenciesMs!, 50), pacedP99Ms: pct(paced.latenciesMs!, 99),
      verified: burst.verified + paced.verified, failed: burst.failed + paced.failed, duplicates: burst.duplicates + paced.duplicates,
      deliveryRows: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      target: `>= ${TARGET_PER_S} deliveries/s, every signature verified`,
      met: burst.verified / burstSeconds >= TARGET_PER_S && burst.failed + paced.failed === 0 && burst.verified === events,
      signingCost,
    };
    printTable([
      { phase: `burst of ${events}`, 'deliveries/s': result.deliveriesPerSecond, 'p50 ms': result.burstP50Ms, 'p99 ms': result.burstP99Ms, verified: burst.verified, failed: burst.failed },
      { phase: `paced ${rate}/s × 5 s`, 'deliveries/s': '-', 'p50 ms': result.pacedP50Ms, 'p99 ms': result.pacedP99Ms, verified: paced.verified, failed: paced.failed },
    ]);
    console.log('\nsigning cost per send (µs of main thread): inline vs piscina pool (WEBHOOK_SIGNING=auto picks the pool only for large bodies)');
    printTable(signingCost as unknown as Record<string, unknown>[]);
    console.log(`scheduler ${redis ? 'BullMQ on Redis' : 'in process'}, signing ${signing}; target ${result.target}: ${result.met ? 'met' : 'NOT met'}`);
    console.log(`results: ${writeResult('webhooks', result)}`);
    return result;
  } finally {
    await kernel.close();
    await sql.end();
    receiver.child.kill();
    await db.drop();
    if (redis) await dropRedisKeys(`${prefix}:`);
  }
}

if (isMain(import.meta.url)) {
  await runWebhooksBench();
  process.exit(0);
}
