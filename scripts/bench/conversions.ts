// Conversions bench: the real server (its own process, PostgreSQL, Redis) takes N distinct
// idempotency keys plus a share of repeats over HTTP, 50 in flight; then the count check.
// `node scripts/bench/conversions.ts [--n 20000] [--dup 0.1] [--concurrency 50]` or `npm run bench -- conversions`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Pool, request } from 'undici';
import { createTestDatabase } from '../../test/support/database.ts';
import { freePort } from '../../test/support/net.ts';
import { arg, isMain, printTable, ROOT, writeResult } from './support.ts';

const ADMIN = 'bench-admin-token-conversions-0123456789';
const TARGET = { conversionsPerSecond: 2000, p99Ms: 50 };

export interface ConversionsBenchOptions {
  /** Distinct idempotency keys (each must become exactly one conversion). */
  n?: number;
  /** Extra submissions repeating an earlier key, as a share of n. */
  dupShare?: number;
  concurrency?: number;
  /** Clicks (ctx tokens) the conversions are spread over. */
  clicks?: number;
}

async function startServer(dbUrl: string, dataDir: string, maxPerClick: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/tenx.ts', 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: dbUrl, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `tenx-bench-conv-${process.pid}`, ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn', DATA_DIR: dataDir,
      CTX_SECRETS: 'bench-ctx-secret-0123456789abcdef', SECRET_KEY: 'bench-secret', TRUSTED_PROXIES: '127.0.0.1',
      // Far above the load, so the limiter's Redis call is paid on every request but never refuses one.
      PUBLIC_RATE_LIMIT: '1000000',
      // Enough for every key the run spreads over one click: the cap is paid (one upsert per click a batch), never hit.
      MAX_CONVERSIONS_PER_CLICK: String(maxPerClick),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await request(`${url}/readyz`).then(async (r) => (await r.body.dump(), r.statusCode === 200), () => false);
    if (ok) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('server did not become ready in 30 s');
}

async function api(url: string, path: string, token: string, body: unknown) {
  const res = await request(url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.body.json()) as Record<string, string>;
  if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/** Visitors follow the short link from distinct IPs and countries; returns their ctx tokens. */
async function collectCtx(url: string, count: number): Promise<string[]> {
  const countries = ['US', 'DE', 'FR', 'GB', 'ES', 'IT', 'NL', 'BR', 'CA', 'JP'];
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await request(`${url}/bench/deal-alpha?src=${i % 3 ? 'email' : 'twitter'}`, {
      headers: {
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'accept-language': 'en-US,en;q=0.9',
        accept: 'text/html', 'cf-ipcountry': countries[i % countries.length], 'x-forwarded-for': `198.51.${i >> 8}.${i & 255}`,
      },
    });
    await res.body.dump();
    const ctx = new URL(String(res.headers.location)).searchParams.get('ctx');
    if (res.statusCode !== 302 || !ctx) throw new Error(`redirect answered ${res.statusCode}`);
    tokens.push(ctx);
  }
  return tokens;
}

interface Submission { key: string; ctx: string; value: number }

/** Sends every submission, `concurrency` in flight; returns per-request latencies and status counts. */
async function drive(pool: Pool, subs: Submission[], concurrency: number) {
  const latencies = new Float64Array(subs.length);
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < subs.length) {
      const i = next++;
      const s = subs[i];
      const t = performance.now();
      const res = await pool.request({
        method: 'POST', path: '/v2/public/conversions', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ctx: s.ctx, eventType: 'affiliate_click', value: s.value, currency: 'USD', idempotencyKey: s.key }),
      });
      await res.body.dump();
      latencies[i] = performance.now() - t;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 10) / 10;
  return { seconds, statuses, p50: pct(0.5), p99: pct(0.99), max: Math.round(sorted[sorted.length - 1]) };
}

/** Requests per second of GET /healthz through the same pool: the box's ceiling for any route in this run. */
async function healthzRate(pool: Pool, concurrency: number, n = 5000): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) await (await pool.request({ method: 'GET', path: '/healthz' })).body.dump();
  }));
  return Math.round(n / ((performance.now() - started) / 1000));
}

function submissions(prefix: string, n: number, dupShare: number, tokens: string[]): Submission[] {
  const distinct = Array.from({ length: n }, (_, i) => ({ key: `${prefix}-${i}`, ctx: tokens[i % tokens.length], value: ((i * 37) % 10000) / 100 }));
  const dups = Array.from({ length: Math.round(n * dupShare) }, () => distinct[Math.floor(Math.random() * n)]);
  const all = [...distinct, ...dups];
  // Shuffle: repeats land anywhere, sometimes while the original is still in flight.
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

export async function benchConversions(opts: ConversionsBenchOptions = {}) {
  const n = opts.n ?? 20_000;
  const dupShare = opts.dupShare ?? 0.1;
  const concurrency = opts.concurrency ?? 50;
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-bench-conv-'));
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  let server: { url: string; child: ChildProcess } | null = null;
  let pool: Pool | null = null;
  try {
    const clicks = opts.clicks ?? 2500;
    server = await startServer(db.url, dataDir, Math.ceil((n + 1000) / clicks) + 1);
    const tenant = await api(server.url, '/v2/handles', ADMIN, { handle: 'bench', name: 'Bench Network' });
    await api(server.url, '/v2/handles/bench/campaigns', tenant.ownerToken, {
      campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
    });
    // A partner and a percent rule, so every new conversion also writes its commission (issue 15): the
    // price of the ledger is in the figure. (Before the wiring the same setup wrote no commission.)
    await api(server.url, '/v2/handles/bench/partners', tenant.ownerToken, { partnerId: 'bench-partner', name: 'Bench Partner' });
    await request(`${server.url}/v2/handles/bench/campaigns/partner-alpha`, {
      method: 'PATCH', headers: { authorization: `Bearer ${tenant.ownerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ partnerId: 'bench-partner' }),
    }).then((r) => r.body.dump());
    await request(`${server.url}/v2/handles/bench/rewards/sale`, {
      method: 'PUT', headers: { authorization: `Bearer ${tenant.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }),
    }).then((r) => r.body.dump());
    const tokens = await collectCtx(server.url, clicks);
    for (let i = 0; i < 100; i++) {
      const { rows } = await sql.query('select count(*)::int as n from clicks');
      if (rows[0].n >= tokens.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    pool = new Pool(server.url, { connections: concurrency });
    await drive(pool, submissions('warmup', 1000, 0, tokens), concurrency);
    // Same run, same client: what this box gives the cheapest route right now (figures swing 5× between runs).
    const baseline = await healthzRate(pool, concurrency);

    const subs = submissions('bench', n, dupShare, tokens);
    const run = await drive(pool, subs, concurrency);
    const { rows } = await sql.query("select count(*)::int as n from conversions where handle = 'bench' and idempotency_key like 'bench-%'");
    const { rows: [ledger] } = await sql.query(`select count(*)::int as n from commissions c join conversions v using (conversion_id)
                                                where c.handle = 'bench' and c.type = 'conversion' and v.idempotency_key like 'bench-%'`);
    const dups = subs.length - n;
    const countOk = rows[0].n === n && run.statuses['201'] === n && (run.statuses['200'] ?? 0) === dups;
    const result = {
      n, duplicates: dups, concurrency, clicks: tokens.length, seconds: Math.round(run.seconds * 100) / 100,
      submissionsPerSecond: Math.round(subs.length / run.seconds),
      conversionsPerSecond: Math.round(n / run.seconds),
      p50Ms: run.p50, p99Ms: run.p99, maxMs: run.max, statuses: run.statuses,
      rows: rows[0].n, commissions: ledger.n, countCheck: countOk ? 'ok: rows = distinct keys' : `FAILED: ${rows[0].n} rows for ${n} distinct keys`,
      healthzPerSecond: baseline, ratioToHealthz: Math.round((subs.length / run.seconds / baseline) * 100) / 100,
      target: TARGET,
      meetsTarget: n / run.seconds >= TARGET.conversionsPerSecond && run.p99 < TARGET.p99Ms,
    };
    printTable([{
      'distinct keys': n, repeats: dups, 'submissions/s': result.submissionsPerSecond, 'new conversions/s': result.conversionsPerSecond,
      'p50 ms': run.p50, 'p99 ms': run.p99, 'GET /healthz/s': baseline, rows: rows[0].n, commissions: ledger.n, 'count check': countOk ? 'ok' : 'FAILED',
    }]);
    console.log(`statuses ${JSON.stringify(run.statuses)}; target ≥ ${TARGET.conversionsPerSecond}/s with p99 < ${TARGET.p99Ms} ms: ${result.meetsTarget ? 'met' : 'NOT met'}`);
    console.log(`wrote ${writeResult('conversions', result)}`);
    return result;
  } finally {
    await pool?.close();
    if (server) {
      const exited = new Promise((ok) => server!.child.once('exit', ok));
      server.child.kill('SIGTERM');
      await exited;
    }
    await sql.end();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Entry for the `npm run bench -- conversions` dispatcher. */
export const runConversionsBench = () =>
  benchConversions({ n: arg('n', 20_000), dupShare: arg('dup', 0.1), concurrency: arg('concurrency', 50), clicks: arg('clicks', 2500) });

if (isMain(import.meta.url)) {
  const result = await runConversionsBench();
  process.exit(result.countCheck.startsWith('ok') ? 0 : 1);
}
