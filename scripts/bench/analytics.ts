// `node scripts/bench/analytics.ts [--clicks N] [--keep] [--reuse <database>]`: funnel latency over
// millions of clicks and a streamed 1 M-row CSV export, against a server running in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { BASE_DATABASE_URL, createTestDatabase } from '../../test/support/database.ts';
import { generateClicks, generateConversions, insertCampaigns, type DataSpec } from './analytics-data.ts';
import { arg, isMain, printTable, ROOT, writeResult } from './support.ts';

const ADMIN = 'bench-admin-token-analytics-0123456789';
const HANDLE = 'bench-analytics';

export interface AnalyticsBenchOptions {
  clicks?: number;
  conversions?: number;
  campaigns?: number;
  days?: number;
  exportRows?: number;
  funnelCalls?: number;
  /** Keep the generated database (its name is printed) to rerun with `reuse`. */
  keep?: boolean;
  reuse?: string;
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The real server in a child process, so its RSS is measured apart from the bench's own. */
async function startServer(databaseUrl: string): Promise<Server> {
  const kernel = new URL('../../core/kernel.ts', import.meta.url).href;
  const config = new URL('../../config/index.ts', import.meta.url).href;
  const code = `const { loadConfig } = await import(${JSON.stringify(config)});
    const { startKernel } = await import(${JSON.stringify(kernel)});
    const k = await startKernel(loadConfig());
    process.stdout.write('READY ' + k.url + '\\n');
    process.on('SIGTERM', () => k.close().then(() => process.exit(0)));`;
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '', PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'tenx-bench-')), CTX_SECRETS: 'bench-ctx-secret-0123456789abcdefghijklmn', SECRET_KEY: 'bench-secret',
    },
  });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`server exited with ${code} before it was ready`)));
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  return { url, pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

const procMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round1 = (x: number) => Math.round(x * 10) / 10;

async function timeGets(agent: Agent, url: string, token: string, calls: number) {
  const get = async () => {
    const t = performance.now();
    const res = await request(url, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${body}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 5; i++) await get(); // warm the JIT, the pool and PostgreSQL's cache
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) ms.push(await get());
  ms.sort((a, b) => a - b);
  return { calls, p50: round1(pct(ms, 50)), p95: round1(pct(ms, 95)), max: round1(ms[ms.length - 1]) };
}

/** Streams the CSV export, counting rows and sampling the server's RSS every 20 ms. */
async function timeExport(agent: Agent, url: string, token: string, pid: number) {
  let peak = procMb(pid, 'VmRSS');
  const before = peak;
  const sampler = setInterval(() => (peak = Math.max(peak, procMb(pid, 'VmRSS'))), 20);
  const t = performance.now();
  const res = await request(url, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
  if (res.statusCode !== 200) throw new Error(`export: ${res.statusCode} ${await res.body.text()}`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  return { rows: lines - 1, seconds: Math.round(seconds * 100) / 100, mb: round1(bytes / 1e6), rowsPerSecond: Math.round((lines - 1) / seconds), rssBeforeMb: before, peakRssMb: peak };
}

async function meta(db: pg.Client, key: string): Promise<string | undefined> {
  await db.query('create table if not exists bench_meta (key text primary key, value text not null)');
  return (await db.query('select value from bench_meta where key = $1', [key])).rows[0]?.value;
}

export async function benchAnalytics(opts: AnalyticsBenchOptions = {}) {
  const spec: DataSpec = {
    handle: HANDLE, clicks: opts.clicks ?? 10_000_000, conversions: opts.conversions ?? 200_000,
    campaigns: opts.campaigns ?? 100, days: opts.days ?? 30,
  };
  const exportTarget = Math.min(opts.exportRows ?? 1_000_000, spec.clicks);
  const database = opts.reuse
    ? { name: opts.reuse, url: Object.assign(new URL(BASE_DATABASE_URL), { pathname: `/${opts.reuse}` }).toString(), drop: async () => {} }
    : await createTestDatabase();
  const server = await startServer(database.url);
  const serverIdleRssMb = procMb(server.pid, 'VmRSS'); // before any request: modules, plugins and the GeoIP tables
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const agent = new Agent({ connections: 4 });
  try {
    let token = await meta(db, 'token');
    let generateSeconds: number | null = null;
    const start = new Date(Date.now() - spec.days * 86_400_000);
    if (!token) {
      const res = await request(`${server.url}/v2/handles`, {
        method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ handle: HANDLE, name: 'Analytics bench' }),
      });
      token = ((await res.body.json()) as { ownerToken: string }).ownerToken;
      const t = performance.now();
      await db.query('set synchronous_commit = off');
      await insertCampaigns(db as unknown as pg.PoolClient, spec);
      await generateClicks(db as unknown as pg.PoolClient, spec, start);
      await generateConversions(db as unknown as pg.PoolClient, spec);
      process.stderr.write('vacuum analyze (the steady state autovacuum keeps)...\n');
      await db.query('vacuum analyze');
      generateSeconds = Math.round((performance.now() - t) / 1000);
      await db.query('insert into bench_meta values ($1, $2), ($3, $4)', ['token', token, 'start', start.toISOString()]);
    }
    const dataStart = new Date((await meta(db, 'start'))!);
    const counts = (await db.query(
      `select (select count(*) from clicks) as clicks, (select count(*) from conversions) as conversions,
              (select count(*) from click_rollups) as click_rollups, (select count(*) from funnel_click_days) as funnel_day_rows,
              pg_size_pretty(pg_database_size(current_database())) as size`,
    )).rows[0];
    process.stderr.write(`data: ${JSON.stringify(counts)}\n`);

    const base = `${server.url}/v2/handles/${HANDLE}/analytics`;
    const calls = opts.funnelCalls ?? 100;
    const lastWeek = new Date(Date.now() - 7 * 86_400_000 + 1_800_000).toISOString();
    // The same route machinery (auth, one small query) without analytics: what the box costs per call right now.
    const baseline = await timeGets(agent, `${server.url}/v2/handles/${HANDLE}`, token, calls);
    const funnel = await timeGets(agent, `${base}?funnel=true`, token, calls);
    const funnelWindow = await timeGets(agent, `${base}?funnel=true&from=${lastWeek}`, token, calls);
    const groupByCountry = await timeGets(agent, `${base}?groupBy=country`, token, 10);
    // The dashboard's hourly views: the last 24 hours, and the 31-day cap (campaigns × 744 hour rows).
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const groupByHour24h = await timeGets(agent, `${base}?groupBy=hour&from=${new Date(hourStart - 23 * 3_600_000).toISOString()}`, token, 10);
    const groupByHour31d = await timeGets(agent, `${base}?groupBy=hour&from=${new Date(hourStart - 31 * 86_400_000 + 3_600_000).toISOString()}`, token, 10);

    // The export window: the most recent clicks, about exportTarget of them.
    const frac = exportTarget / Number(counts.clicks);
    const from = new Date(Date.now() - (Date.now() - dataStart.getTime()) * Math.min(1, frac) + 3_600_000);
    const fromHour = new Date(Math.floor(from.getTime() / 3_600_000) * 3_600_000);
    const expected = Number((await db.query('select count(*) from clicks where handle = $1 and occurred_at >= $2', [HANDLE, frac >= 1 ? new Date(0) : fromHour])).rows[0].count);
    process.stderr.write(`export of ${expected.toLocaleString('en')} rows...\n`);
    const exportUrl = `${base}/export?format=csv${frac >= 1 ? '' : `&from=${fromHour.toISOString()}`}`;
    const exported = await timeExport(agent, exportUrl, token, server.pid);
    if (exported.rows !== expected) throw new Error(`export streamed ${exported.rows} rows, expected ${expected}`);
    const serverPeakMb = procMb(server.pid, 'VmHWM');

    const targets = {
      funnelP95Under50ms: funnel.p95 < 50,
      exportUnder15s: exported.seconds < 15,
      exportPeakRssUnder200Mb: exported.peakRssMb < 200,
    };
    const result = {
      spec, generateSeconds, database: { name: database.name, ...counts }, loadAverage: loadavg(), baselineGetHandle: baseline, funnel, funnelLast7Days: funnelWindow, groupByCountry, groupByHour24h, groupByHour31d,
      export: { ...exported, expectedRows: expected, serverIdleRssMb, exportRssGrowthMb: exported.peakRssMb - exported.rssBeforeMb, serverLifetimePeakRssMb: serverPeakMb },
      targets,
      note: 'Server in a child process (pool 10, no Redis). Latencies are per sequential HTTP call over keep-alive; RSS sampled every 20 ms from /proc.',
    };
    return result;
  } finally {
    await agent.close();
    await db.end();
    await server.stop();
    if (opts.keep || opts.reuse) process.stderr.write(`kept database ${database.name}\n`);
    else await database.drop();
  }
}

function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export async function runAnalyticsBench() {
  const out = await benchAnalytics({
    clicks: arg('clicks', 10_000_000), conversions: arg('conversions', 200_000), campaigns: arg('campaigns', 100),
    exportRows: arg('export-rows', 1_000_000), funnelCalls: arg('calls', 100),
    keep: process.argv.includes('--keep'), reuse: stringArg('reuse'),
  });
  printTable([
    { measure: 'baseline GET /v2/handles/{h} (ms)', p50: out.baselineGetHandle.p50, p95: out.baselineGetHandle.p95, target: '', ok: '' },
    { measure: 'funnel, all time (ms)', p50: out.funnel.p50, p95: out.funnel.p95, target: 'p95 < 50', ok: out.targets.funnelP95Under50ms },
    { measure: 'funnel, last 7 days (ms)', p50: out.funnelLast7Days.p50, p95: out.funnelLast7Days.p95, target: '', ok: '' },
    { measure: 'groupBy=country (ms)', p50: out.groupByCountry.p50, p95: out.groupByCountry.p95, target: '', ok: '' },
    { measure: 'groupBy=hour, last 24 h (ms)', p50: out.groupByHour24h.p50, p95: out.groupByHour24h.p95, target: '', ok: '' },
    { measure: 'groupBy=hour, 31 days (ms)', p50: out.groupByHour31d.p50, p95: out.groupByHour31d.p95, target: '', ok: '' },
    { measure: `CSV export ${out.export.rows.toLocaleString('en')} rows (s)`, p50: out.export.seconds, p95: '', target: '< 15', ok: out.targets.exportUnder15s },
    { measure: 'export peak server RSS (MB)', p50: out.export.peakRssMb, p95: '', target: '< 200', ok: out.targets.exportPeakRssUnder200Mb },
    { measure: '  of which idle server / export growth', p50: out.export.serverIdleRssMb, p95: `+${out.export.exportRssGrowthMb}`, target: '', ok: '' },
  ]);
  console.log(`wrote ${writeResult('analytics', out)}`);
}

if (isMain(import.meta.url)) {
  await runAnalyticsBench();
  process.exit(0);
}
