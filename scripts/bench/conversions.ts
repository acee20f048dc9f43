// Conversions bench: first the limit, the same insert + audit as one SQL statement driven by pgbench at the
// same concurrency (raw-limit.ts); then the real server (its own process, PostgreSQL, Redis) takes N distinct
// idempotency keys plus a share of repeats over HTTP, 50 in flight, alternating a campaign whose partner
// earns a commission on each conversion and one without a partner (issue 15: within 10 %); then the first round's orders
// resent (every submission a repeat: repeats/s); then the count checks.
// `npm run bench -- conversions [--n 20000] [--dup 0.1] [--concurrency 50] [--rounds 2] [--seconds 15] [--cpu-prof DIR] [--perf-record DIR]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Pool, request } from 'undici';
import { createTestDatabase, dropRedisKeys } from '../../test/support/database.ts';
import { PERF_NODE_ARGS, perfRecord, perfRecordDir, printPerfSummary } from './perf-record.ts';
import { rawConversionLimit } from './raw-limit.ts';
import {
  cpuDelta, gcSeconds, isMain, pgBackendsCpu, printTable, processCpuMicros, sized, startTenxProcess, writeResult, type ServerProcess, type SummaryRow,
} from './support.ts';

/** The server's Redis key prefix; its BullMQ keys outlive it and are dropped at the end. */
const REDIS_PREFIX = `tenx-bench-conv-${process.pid}`;

const ADMIN = 'bench-admin-token-conversions-0123456789';
const GOALS = { vsLimit: 0.5, withCommissions: 0.9 };
/** Submissions per campaign before anything is measured. */
const WARMUP = 3000;

export interface ConversionsBenchOptions {
  /** Distinct idempotency keys (each must become exactly one conversion). */
  n?: number;
  /** Extra submissions repeating an earlier key, as a share of n. */
  dupShare?: number;
  concurrency?: number;
  /** Clicks (ctx tokens) the conversions are spread over (per campaign). */
  clicks?: number;
  /** Pairs of runs (without, with commissions). */
  rounds?: number;
  /** Length of the raw-statement run (pgbench -T). */
  limitSeconds?: number;
  /** Node flags of the server process (`--cpu-prof DIR` on the command line profiles it). */
  nodeArgs?: string[];
  /** `--perf-record DIR`: on-CPU profiles of the server (Linux perf) written there and summarised. */
  perfDir?: string;
}

async function api(url: string, path: string, token: string, body: unknown) {
  const res = await request(url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.body.json()) as Record<string, string>;
  if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/** Visitors follow the short link from distinct IPs and countries; returns their ctx tokens. */
async function collectCtx(url: string, slug: string, count: number): Promise<string[]> {
  const countries = ['US', 'DE', 'FR', 'GB', 'ES', 'IT', 'NL', 'BR', 'CA', 'JP'];
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await request(`${url}/bench/${slug}?src=${i % 3 ? 'email' : 'twitter'}`, {
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

async function setUp(url: string, owner: string) {
  const put = (path: string, method: string, body: unknown) => request(`${url}/v2/handles/bench${path}`, {
    method, headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then(async (r) => {
    const text = await r.body.text();
    if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text}`);
  });
  const campaign = (campaignId: string, slug: string, extra: object) => put('/campaigns', 'POST', {
    campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', ...extra, primaryLink: { slug, destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
  });
  // A campaign without a partner (no commission) and one whose partner has a percent rule: every new
  // conversion of it also writes its commission (issue 15), so the ledger's price is the difference.
  await campaign('partner-alpha', 'deal-alpha', {});
  await put('/partners', 'POST', { partnerId: 'bench-partner', name: 'Bench Partner' });
  await campaign('partner-paid', 'deal-paid', { partnerId: 'bench-partner' });
  await put('/rewards/sale', 'PUT', { scope: { partnerId: 'bench-partner' }, event: 'affiliate_click', type: 'percent', percent: 10 });
}

interface Run {
  /** `orders resent`: every submission a repeat of a recorded key; its rate is repeats a second. */
  label: 'without commissions' | 'with commissions' | 'orders resent';
  seconds: number; perSecond: number; p50: number; p99: number; statuses: Record<string, number>;
  rows: number; commissions: number; countOk: boolean; processUs: number; pgUs: number;
  /** Of processUs, the main thread's garbage-collection pauses (the server's nodejs_gc_duration_seconds), per submission. */
  gcUs: number;
}

export async function benchConversions(opts: ConversionsBenchOptions = {}) {
  const n = opts.n ?? 20_000;
  const dupShare = opts.dupShare ?? 0.1;
  const concurrency = opts.concurrency ?? 50;
  // Two rounds, the order flipped in the second: the later run of a pair works on a fuller database, so a fixed
  // order favoured the first (with vs without read 0.88x in one run, 1.04-1.12x in others).
  const rounds = opts.rounds ?? 2;
  const clicks = opts.clicks ?? 2500;
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-bench-conv-'));
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  let server: ServerProcess | null = null;
  let pool: Pool | null = null;
  try {
    server = await startTenxProcess({
      DATABASE_URL: db.url, ADMIN_TOKEN: ADMIN, REDIS_PREFIX, DATA_DIR: dataDir, TRUSTED_PROXIES: '127.0.0.1',
      // Far above the load, so the limiter's Redis call is paid on every request but never refuses one.
      PUBLIC_RATE_LIMIT: '1000000',
      // Enough for every key the run spreads over one click: the cap is paid (one upsert per click a batch), never hit.
      // Keys go to a campaign's clicks in turn (i % clicks) and a repeat asks no budget: at most this many a click.
      MAX_CONVERSIONS_PER_CLICK: String(rounds * Math.ceil(n / clicks) + Math.ceil(WARMUP / clicks) + 1),
    }, [...(opts.nodeArgs ?? []), ...(opts.perfDir ? PERF_NODE_ARGS : [])]);
    const tenant = await api(server.url, '/v2/handles', ADMIN, { handle: 'bench', name: 'Bench Network' });
    await setUp(server.url, tenant.ownerToken);
    const tokens = { plain: await collectCtx(server.url, 'deal-alpha', clicks), paid: await collectCtx(server.url, 'deal-paid', clicks) };
    for (let i = 0; i < 100; i++) {
      const { rows } = await sql.query('select count(*)::int as n from clicks');
      if (rows[0].n >= 2 * clicks) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The limit first, on the same database and box, while the server idles.
    process.stderr.write('raw one-statement limit (pgbench)...\n');
    const limit = await rawConversionLimit(db.url, { concurrency, seconds: opts.limitSeconds ?? 15 });

    pool = new Pool(server.url, { connections: concurrency });
    // Both campaigns, until the JIT has settled: with 1,000 submissions on one of them, the first measured run still
    // paid for optimising compilations (188 vs 131 µs a submission without vs with a commission, in that order).
    for (const kind of ['plain', 'paid'] as const) await drive(pool, submissions(`warmup-${kind}`, WARMUP, dupShare, tokens[kind]), concurrency);
    // Same run, same client: what this box gives the cheapest route right now (figures swing 5× between runs).
    const baseline = await healthzRate(pool, concurrency);

    /**
     * Drives `subs` through the pool and reads what it cost the server: its rate (of `n`: new keys, or resent orders), latency,
     * and the process's, its GC pauses' and PostgreSQL's CPU per submission. `perfFile`: an on-CPU profile of the run.
     */
    const [tenx, http] = [server, pool];
    const measured = async (subs: Submission[], perfFile: string | null) => {
      const gcBefore = await gcSeconds(tenx.url);
      const cpuBefore = processCpuMicros(tenx.pid);
      const pgBefore = await pgBackendsCpu(sql);
      const recording = perfFile ? perfRecord(tenx.pid, perfFile) : null;
      const run = await drive(http, subs, concurrency);
      await recording?.stop();
      const processUs = processCpuMicros(tenx.pid) - cpuBefore;
      const pgUs = cpuDelta(pgBefore, await pgBackendsCpu(sql));
      const gcUs = ((await gcSeconds(tenx.url)) - gcBefore) * 1e6;
      return {
        seconds: Math.round(run.seconds * 100) / 100, perSecond: Math.round(n / run.seconds), p50: run.p50, p99: run.p99, statuses: run.statuses,
        processUs: Math.round(processUs / subs.length), gcUs: Math.round((gcUs / subs.length) * 10) / 10, pgUs: Math.round(pgUs / subs.length),
      };
    };
    const conversionsOf = async (prefix: string) =>
      (await sql.query("select count(*)::int as n from conversions where handle = 'bench' and idempotency_key like $1", [`${prefix}-%`])).rows[0].n as number;

    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const paid of round % 2 === 0 ? [false, true] : [true, false]) {
        const label = paid ? 'with commissions' : 'without commissions';
        process.stderr.write(`round ${round + 1}/${rounds}: tenx ${label}\n`);
        const prefix = `${paid ? 'paid' : 'plain'}${round}`;
        const subs = submissions(prefix, n, dupShare, paid ? tokens.paid : tokens.plain);
        // --perf-record: the first round's runs, on-CPU (Linux perf), summarised after the table.
        const timing = await measured(subs, opts.perfDir && round === 0 ? `${opts.perfDir}/tenx-${paid ? 'with' : 'without'}-commissions.data` : null);
        const rows = await conversionsOf(prefix);
        const { rows: [ledger] } = await sql.query(`select count(*)::int as n from commissions c join conversions v using (conversion_id)
                                                    where c.handle = 'bench' and c.type = 'conversion' and v.idempotency_key like $1`, [`${prefix}-%`]);
        const dups = subs.length - n;
        // A commission whose amount rounds to 0.00 (10 % of a value under 0.05) is not written.
        const { rows: [due] } = await sql.query("select count(*)::int as n from conversions where handle = 'bench' and idempotency_key like $1 and round(value * 0.1, 2) > 0", [`${prefix}-%`]);
        const countOk = rows === n && timing.statuses['201'] === n && (timing.statuses['200'] ?? 0) === dups && ledger.n === (paid ? due.n : 0);
        runs.push({ label, ...timing, rows, commissions: ledger.n, countOk });
      }
    }
    // A merchant's server resending orders already recorded (a retried export, a replayed queue): every submission a
    // repeat of round 1's keys without commissions, answered 200 with the original and an audit event each.
    if (rounds > 0) {
      process.stderr.write('tenx: the same orders resent\n');
      const prefix = 'plain0';
      const deduped = () => sql.query("select count(*)::int as n from audit_events where handle = 'bench' and type = $1 and payload->>'idempotencyKey' like $2", ['conversion.deduped', `${prefix}-%`]).then((r) => r.rows[0].n as number);
      const dedupedBefore = await deduped();
      const timing = await measured(submissions(prefix, n, 0, tokens.plain), null);
      const rows = await conversionsOf(prefix);
      // Every resent order answered 200 with its original, none recorded again, each with its own `conversion.deduped` audit row.
      const countOk = rows === n && timing.statuses['200'] === n && (await deduped()) - dedupedBefore === n;
      runs.push({ label: 'orders resent', ...timing, rows, commissions: 0, countOk });
    }
    // The mean over rounds: with the order flipped every round, the later run's advantage cancels out (a median of two
    // picks the faster run, the later one of its round, whichever kind that was).
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    const of = (label: Run['label']) => {
      const rs = runs.filter((r) => r.label === label);
      return { perSecond: mean(rs.map((r) => r.perSecond)), p99: mean(rs.map((r) => r.p99)), processUs: mean(rs.map((r) => r.processUs)), pgUs: mean(rs.map((r) => r.pgUs)) };
    };
    const plain = of('without commissions');
    const paid = of('with commissions');
    const resent = runs.find((r) => r.label === 'orders resent');
    const countCheck = runs.every((r) => r.countOk) ? 'ok: rows = distinct keys, one commission each where a rule applies, every resent order 200' : `FAILED: ${JSON.stringify(runs.filter((r) => !r.countOk))}`;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const summary: SummaryRow[] = [
      {
        path: 'conversions, 50 in flight, new keys (with commissions)', tenx: `${paid.perSecond} new/s, p99 ${paid.p99} ms`,
        limit: `insert + audit as one statement (${limit.tool}): ${limit.perSecond}/s`, ratio: r2(paid.perSecond / limit.perSecond),
        goal: `≥ ${GOALS.vsLimit}×`, ok: paid.perSecond / limit.perSecond >= GOALS.vsLimit,
      },
      {
        path: 'conversions with a commission vs without', tenx: `${paid.perSecond}/s`, limit: `${plain.perSecond}/s without`,
        ratio: r2(paid.perSecond / plain.perSecond), goal: `≥ ${GOALS.withCommissions}× (within 10 %)`, ok: paid.perSecond / plain.perSecond >= GOALS.withCommissions,
      },
      {
        path: 'CPU per conversion (process, /proc)', tenx: `${paid.processUs} µs + ${paid.pgUs} µs PG`, limit: `healthz ${baseline}/s`,
        ratio: null, goal: '', ok: null,
      },
      ...(resent ? [{
        path: 'orders resent, 50 in flight (every one a repeat)', tenx: `${resent.perSecond} repeats/s, p99 ${resent.p99} ms, ${resent.processUs} µs + ${resent.pgUs} µs PG`,
        limit: '', ratio: null, goal: '', ok: null,
      }] : []),
    ];
    const result = {
      n, duplicates: Math.round(n * dupShare), concurrency, clicksPerCampaign: clicks, rounds, limit, healthzPerSecond: baseline, runs,
      withoutCommissions: plain, withCommissions: paid, resent: resent && { perSecond: resent.perSecond, p99: resent.p99, processUs: resent.processUs, pgUs: resent.pgUs }, ratioToLimit: r2(paid.perSecond / limit.perSecond), ratioCommissions: r2(paid.perSecond / plain.perSecond),
      countCheck, summary,
    };
    printTable([
      { run: `limit: one statement (${limit.tool})`, 'new/s': limit.perSecond, 'vs limit': 1, 'p50 ms': limit.p50 ?? '', 'p99 ms': limit.p99 ?? '', 'CPU µs': '', 'of which GC': '', 'PG µs': limit.pgUs, rows: '', commissions: '', check: '' },
      ...runs.map((r) => ({
        run: `tenx ${r.label}`, 'new/s': r.perSecond, 'vs limit': r.label === 'orders resent' ? '' : r2(r.perSecond / limit.perSecond), 'p50 ms': r.p50, 'p99 ms': r.p99,
        'CPU µs': r.processUs, 'of which GC': r.gcUs, 'PG µs': r.pgUs, rows: r.rows, commissions: r.commissions, check: r.countOk ? 'ok' : 'FAILED',
      })),
    ]);
    console.log(`GET /healthz/s in this run: ${baseline}; CPU and PG µs are per submission (repeats included); the resent orders' new/s are repeats/s; count check: ${countCheck}`);
    console.log(`wrote ${writeResult('conversions', result)}`);
    for (const kind of opts.perfDir ? ['without', 'with'] : []) printPerfSummary(`${opts.perfDir}/tenx-${kind}-commissions.data`);
    return result;
  } finally {
    await pool?.close();
    await server?.stop();
    await sql.end();
    await db.drop();
    await dropRedisKeys(`${REDIS_PREFIX}:`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Entry for the `npm run bench -- conversions` dispatcher. */
const profileDir = process.argv.includes('--cpu-prof') ? process.argv[process.argv.indexOf('--cpu-prof') + 1] : null;
export const runConversionsBench = () => benchConversions({
  nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [], perfDir: perfRecordDir(),
  n: sized('n', 20_000, 4_000), dupShare: sized('dup', 0.1, 0.1), concurrency: sized('concurrency', 50, 50), clicks: sized('clicks', 2500, 1000),
  rounds: sized('rounds', 2, 1), limitSeconds: sized('seconds', 15, 6),
});

if (isMain(import.meta.url)) {
  const result = await runConversionsBench();
  process.exit(result.countCheck.startsWith('ok') ? 0 : 1);
}
