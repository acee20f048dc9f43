// `npm run bench -- embedded`: what a laptop user waits for and pays in memory with no DATABASE_URL.
// Starts `node scripts/tenx.js serve` (as `npm start` does) on a fresh DATA_DIR, then again on the
// same one, and reports time to /healthz and /readyz, peak and steady RSS of the process tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/net.ts';
import { arg, autocannon, isMain, printTable, ROOT, writeResult } from './support.ts';

const GOALS = { firstStartMs: 5000, restartMs: 3000, steadyRssMb: 300 };
// `npm run bench -- embedded [--restarts 2] [--traffic-seconds 5] [--before 1]`
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** kB from a /proc/<pid>/status field, 0 when the process is gone. */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and its descendants (children listed per thread by the kernel). */
function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const kid of kids ? kids.split(/\s+/).map(Number) : []) out.push(...tree(kid));
    }
  } catch {
    // gone meanwhile
  }
  return out;
}

/** CPU seconds (user + system) the process and its descendants have used so far: steadier than wall time on a shared box. */
function treeCpuMs(pid: number): number {
  const tick = 100; // USER_HZ on Linux
  return tree(pid).reduce((a, p) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      return a + ((Number(fields[11]) + Number(fields[12])) * 1000) / tick; // utime, stime
    } catch {
      return a;
    }
  }, 0);
}

const treeRssMb = (pid: number) => tree(pid).reduce((a, p) => a + statusKb(p, 'VmRSS'), 0) / 1024;
/** Peak RSS: VmHWM of each process in the tree (a sum over-counts only if they peaked at different times). */
const treeHwmMb = (pid: number) => tree(pid).reduce((a, p) => a + statusKb(p, 'VmHWM'), 0) / 1024;
const round = (n: number) => Math.round(n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tokens {
  admin: string;
  owner: string;
}

interface StartFigures {
  healthzMs: number;
  healthzCpuMs: number;
  readyzMs: number;
  peakRssMb: number;
  idleRssMb: number;
  trafficRssMb: number;
  peakAfterTrafficMb: number;
  redirectRps: number;
  redirectErrors: number;
  startedInMs: number | null;
}

async function until(url: string, child: ChildProcess, out: () => string, deadline: number): Promise<void> {
  while (!(await fetch(url).then((r) => r.status === 200, () => false))) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${out()}`);
    if (Date.now() > deadline) throw new Error(`no 200 from ${url} in time: ${out()}`);
    await sleep(10);
  }
}

async function api(base: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300 && res.status !== 409) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 409 ? null : res.json();
}

/** One `tenx serve` on dataDir: start-up figures, then a little traffic (redirects, analytics) and RSS after it. */
/**
 * How the server is started: as shipped, or with this work's cuts undone (`--before 1`): PGlite's
 * initdb on a fresh DATA_DIR, its 160 MB shared_buffers, V8's optimizing wasm tier and default young generation.
 */
type Variant = 'now' | 'before';
const VARIANTS: Record<Variant, { nodeArgs: string[]; env: Record<string, string> }> = {
  now: { nodeArgs: [], env: {} },
  before: { nodeArgs: ['--no-liftoff-only'], env: { EMBEDDED_TEMPLATE: 'none', EMBEDDED_SHARED_BUFFERS_MB: '160', NODE_OPTIONS: '--max-semi-space-size=0' } },
};

async function oneStart(dataDir: string, tokens: Tokens | null, trafficSeconds: number, variant: Variant): Promise<{ figures: StartFigures; tokens: Tokens }> {
  const port = await freePort();
  const { nodeArgs, env: variantEnv } = VARIANTS[variant];
  const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', ADMIN_TOKEN: '', CTX_SECRETS: '', SECRET_KEY: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...variantEnv };
  const started = performance.now();
  // BENCH_TENX_ROOT: another checkout's tenx (an older commit, for an A/B pair), as the redirect bench.
  const cwd = process.env.BENCH_TENX_ROOT || ROOT;
  const child = spawn(process.execPath, [...nodeArgs, 'scripts/tenx.js', 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const pid = child.pid!;
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, treeRssMb(pid))), 20);
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    await until(`${base}/healthz`, child, () => out, deadline);
    const healthzMs = performance.now() - started;
    const healthzCpuMs = treeCpuMs(pid);
    await until(`${base}/readyz`, child, () => out, deadline);
    const readyzMs = performance.now() - started;
    const peakRssMb = Math.max(peak, treeHwmMb(pid));
    await sleep(3000);
    const idleRssMb = treeRssMb(pid);

    // The admin token is printed once (first start); the handle's owner token comes from creating it.
    const admin = tokens?.admin ?? /Admin token[^:]*: (\S+)/.exec(out)?.[1];
    if (!admin) throw new Error(`no admin token printed: ${out}`);
    const owner = tokens?.owner ?? (await api(base, 'POST', '/v2/handles', admin, { handle: 'bench', name: 'Bench' })).ownerToken;
    await api(base, 'POST', '/v2/handles/bench/campaigns', owner, {
      campaignId: 'alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
    });
    const load = await autocannon(`${base}/bench/deal-alpha`, { connections: 10, seconds: trafficSeconds, headers: { 'user-agent': UA } });
    for (let i = 0; i < 20; i++) await api(base, 'GET', '/v2/handles/bench/analytics?funnel=true', owner);
    await sleep(3000);
    const trafficRssMb = treeRssMb(pid);
    const peakAfterTrafficMb = Math.max(peak, treeHwmMb(pid));
    const startedInMs = Number(/"startedInMs":(\d+)/.exec(out)?.[1] ?? NaN);

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.once('exit', ok)));
    if (code !== 0) throw new Error(`server exited ${code} on SIGTERM: ${out}`);
    return {
      tokens: { admin, owner },
      figures: {
        healthzMs: round(healthzMs), healthzCpuMs: round(healthzCpuMs), readyzMs: round(readyzMs), peakRssMb: round(peakRssMb), idleRssMb: round(idleRssMb),
        trafficRssMb: round(trafficRssMb), peakAfterTrafficMb: round(peakAfterTrafficMb), redirectRps: load.rps, redirectErrors: load.errors,
        startedInMs: Number.isFinite(startedInMs) ? startedInMs : null,
      },
    };
  } finally {
    clearInterval(poll);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

type Start = { variant: Variant; start: string } & StartFigures;

async function startsOf(variant: Variant, restarts: number, trafficSeconds: number): Promise<Start[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-bench-embedded-'));
  const starts: Start[] = [];
  try {
    let tokens: Tokens | null = null;
    for (let i = 0; i <= restarts; i++) {
      const label = i === 0 ? 'first start' : `restart ${i}`;
      process.stderr.write(`${variant}: ${label}\n`);
      const r = await oneStart(dataDir, tokens, trafficSeconds, variant);
      tokens = r.tokens;
      starts.push({ variant, start: label, ...r.figures });
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return starts;
}

function figures(starts: Start[]) {
  const restarts = starts.filter((s) => s.start !== 'first start');
  return {
    firstStartMs: starts[0].healthzMs,
    firstStartCpuMs: starts[0].healthzCpuMs,
    restartMs: Math.max(...restarts.map((s) => s.healthzMs)),
    restartCpuMs: Math.max(...restarts.map((s) => s.healthzCpuMs)),
    steadyRssMb: Math.max(...starts.map((s) => Math.max(s.idleRssMb, s.trafficRssMb))),
    peakRssMb: Math.max(...starts.map((s) => s.peakAfterTrafficMb)),
  };
}

export async function benchEmbedded(opts: { restarts?: number; trafficSeconds?: number; before?: boolean } = {}) {
  const restarts = Math.max(1, opts.restarts ?? 2);
  const trafficSeconds = opts.trafficSeconds ?? 5;
  const starts = await startsOf('now', restarts, trafficSeconds);
  // The cuts undone, in the same run: the only comparison that means anything on a shared box.
  const beforeStarts = opts.before ? await startsOf('before', restarts, trafficSeconds) : [];
  const now = figures(starts);
  const before = opts.before ? figures(beforeStarts) : null;
  const row = (figure: string, key: keyof typeof now, unit: string, goal: number | null) => ({
    figure, value: `${now[key]} ${unit}`, goal: goal === null ? '' : `< ${goal} ${unit}`, met: goal === null ? '' : now[key] < goal,
    ...(before && { 'before (same run)': `${before[key]} ${unit}` }),
  });
  const summary = [
    row('first start → /healthz 200', 'firstStartMs', 'ms', GOALS.firstStartMs),
    row('  CPU used until then', 'firstStartCpuMs', 'ms', null),
    row('restart → /healthz 200 (worst)', 'restartMs', 'ms', GOALS.restartMs),
    row('  CPU used until then', 'restartCpuMs', 'ms', null),
    row('steady RSS (idle / after traffic, worst)', 'steadyRssMb', 'MB', GOALS.steadyRssMb),
    row('peak RSS (any start, incl. traffic)', 'peakRssMb', 'MB', null),
  ];
  return { goals: GOALS, now, before, starts: [...starts, ...beforeStarts], summary };
}

export async function runEmbeddedBench() {
  const out = await benchEmbedded({ restarts: arg('restarts', 2), trafficSeconds: arg('traffic-seconds', 5), before: arg('before', 0) === 1 });
  printTable(out.starts.map((s) => ({
    variant: s.variant, start: s.start, '/healthz ms': s.healthzMs, 'CPU ms to /healthz': s.healthzCpuMs, '/readyz ms': s.readyzMs, 'peak RSS MB': s.peakRssMb,
    'idle RSS MB': s.idleRssMb, 'RSS after traffic MB': s.trafficRssMb, 'peak incl. traffic MB': s.peakAfterTrafficMb, 'redirect req/s': s.redirectRps, errors: s.redirectErrors,
  })));
  console.log('');
  printTable(out.summary);
  console.log(`wrote ${writeResult('embedded', out)}`);
  return out;
}

if (isMain(import.meta.url)) await runEmbeddedBench();
