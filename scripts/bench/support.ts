import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/net.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  statusCodes: Record<string, number>;
}

/** Runs autocannon in its own process (the load generator must not share the server's event loop). */
export function autocannon(url: string, opts: { connections: number; seconds: number; method?: string; headers?: Record<string, string>; body?: string; rate?: number; amount?: number }): Promise<LoadResult> {
  const bin = require.resolve('autocannon/autocannon.js');
  const args = [bin, '-j', '-c', String(opts.connections), '-d', String(opts.seconds), '-m', opts.method ?? 'GET'];
  // A number of requests instead of a duration (a warm-up that does the same work on a slow or a fast machine).
  if (opts.amount) args.push('-a', String(opts.amount));
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`);
  if (opts.body) args.push('-b', opts.body);
  // A fixed overall rate: CPU per request compares across runs better than at saturation, where the batching differs.
  if (opts.rate) args.push('-R', String(opts.rate));
  args.push(url);
  return new Promise((ok, fail) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) return fail(err);
      const r = JSON.parse(stdout);
      ok({
        requests: r.requests.total,
        rps: Math.round(r.requests.average),
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts,
        statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count])),
      });
    });
  });
}

/** Prints an aligned table to stdout. */
export function printTable(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))));
}

export function writeResult(name: string, result: unknown): string {
  const dir = resolve(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ machine: { cpus: (globalThis as { navigator?: { hardwareConcurrency: number } }).navigator?.hardwareConcurrency, node: process.version }, at: new Date().toISOString(), ...(result as object) }, null, 2));
  return file;
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A text option's value (`--against CHECKOUT`), else undefined. */
export const argValue = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);

/** The middle value; of an even number, the mean of the two middle ones. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const isMain = (url: string) => process.argv[1] && resolve(process.argv[1]) === fileURLToPath(url);

/** `--quick`: every bench shrinks to a short run (so `npm run bench -- all --quick` ends in ~10 min on a small box). */
export const QUICK = process.argv.includes('--quick');

/** `--name N`, else the quick default under --quick, else the full default. */
export function sized(name: string, full: number, quick: number): number {
  return arg(name, QUICK ? quick : full);
}

/** One line of `npm run bench -- all`'s summary: a tenx figure beside its limit in the same run, and the goal. */
export interface SummaryRow {
  path: string;
  tenx: string;
  limit: string;
  ratio: number | null;
  goal: string;
  /** null: a figure without a pass/fail goal. */
  ok: boolean | null;
}

// ---------------------------------------------------------------- CPU from /proc

const CLOCK_TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** utime and stime from a /proc stat file (a process's or one thread's), in µs; 0 when it is gone. */
function statCpu(path: string): { user: number; sys: number } {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the `(comm)`, which may itself hold spaces: utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) * CLOCK_TICK_US, sys: Number(f[12]) * CLOCK_TICK_US };
  } catch {
    return { user: 0, sys: 0 };
  }
}

/** utime and stime of a process (all its threads), in µs; 0 when it is gone. */
export const processCpu = (pid: number) => statCpu(`/proc/${pid}/stat`);

/** utime + stime of one thread of a process (the main thread: tid = pid), in µs; 0 when it is gone. */
export function threadCpuMicros(pid: number, tid = pid): number {
  const { user, sys } = statCpu(`/proc/${pid}/task/${tid}/stat`);
  return user + sys;
}

/**
 * Time one thread of a process spent runnable but waiting for a core (/proc/PID/task/TID/schedstat, its second field),
 * in µs; 0 when it is gone or the kernel keeps no schedstats. With on-CPU time: how much of a window the thread wanted a core.
 */
export function threadRunQueueMicros(pid: number, tid = pid): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1000 || 0;
  } catch {
    return 0;
  }
}

/** The whole machine's CPU time from /proc/stat, in µs summed over its cores: idle (idle + iowait) and all. */
export function machineCpu(): { idle: number; all: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: (ticks[3] + ticks[4]) * CLOCK_TICK_US, all: ticks.reduce((a, b) => a + b, 0) * CLOCK_TICK_US };
}

export const processCpuMicros = (pid: number) => {
  const { user, sys } = processCpu(pid);
  return user + sys;
};

/**
 * CPU of the PostgreSQL backends serving one database (every connection but the one asking), by
 * pid: take one before and one after a load window and subtract with `cpuDelta`. A backend that
 * exits inside the window loses its share (the servers' pools keep theirs open under load).
 */
export async function pgBackendsCpu(sql: { query(q: string): Promise<{ rows: { pid: number }[] }> }): Promise<Map<number, number>> {
  const { rows } = await sql.query('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  return new Map(rows.map((r) => [r.pid, processCpuMicros(r.pid)]));
}

export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, us] of after) sum += us - (before.get(pid) ?? 0);
  return sum;
}

/** Starts `perf stat` on a pid (task-clock, context switches); stop() returns its summary, or null where perf cannot attach. */
export function perfStat(pid: number): { stop(): Promise<string | null> } {
  let child: ReturnType<typeof spawn> | null = null;
  let out = '';
  try {
    child = spawn('perf', ['stat', '-e', 'task-clock,context-switches,cpu-migrations,page-faults', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => (out += d));
    child.on('error', () => (child = null));
  } catch {
    child = null;
  }
  return {
    stop: () => new Promise((ok) => {
      if (!child || child.exitCode !== null) return ok(null);
      child.once('exit', () => ok(/task-clock/.test(out) ? out.trim() : null));
      child.kill('SIGINT');
    }),
  };
}

// ---------------------------------------------------------------- server processes

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function ready(child: ChildProcess, url: string, path: string, what: string): Promise<void> {
  // A process that could not start at all (a working directory that is not there: ENOENT) emits 'error', never 'exit'.
  let failed: Error | null = null;
  child.once('error', (err) => (failed = err));
  for (let i = 0; i < 600; i++) {
    if (failed) throw new Error(`${what} could not start: ${(failed as Error).message}`);
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (await fetch(url + path, { redirect: 'manual' }).then(async (r) => (await r.arrayBuffer(), r.status < 500), () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not become ready in 60 s`);
}

function handle(child: ChildProcess, url: string): ServerProcess {
  return {
    url, pid: child.pid!, child,
    stop: () => new Promise<void>((ok) => {
      if (child.exitCode !== null || child.pid === undefined) return ok();
      child.once('exit', () => ok());
      child.kill('SIGTERM');
    }),
  };
}

/**
 * `tenx serve` in its own process (so its CPU is its own), with the given environment on top of a bench default,
 * started as `npm start` and the bin start it (scripts/tenx.js: Node's compile cache, ~15 MB less RSS than without).
 */
export async function startTenxProcess(env: Record<string, string>, nodeArgs: string[] = [], root?: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, 'scripts/tenx.js', 'serve'], {
    // BENCH_TENX_ROOT: another checkout's tenx (this bench against an older commit, for an A/B pair).
    cwd: root ?? (process.env.BENCH_TENX_ROOT || ROOT),
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      // One process (WORKERS=1): its CPU from /proc is the server's whole CPU, compared with bare's one process.
      ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', WORKERS: '1',
      LOG_LEVEL: 'warn', SECRET_KEY: 'bench-secret', CTX_SECRETS: 'bench-ctx-secret-0123456789abcdefghijklmn', ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await ready(child, url, '/readyz', 'tenx');
  return handle(child, url);
}

/** Seconds a tenx server's main thread has spent paused for garbage collection: the sum of its nodejs_gc_duration_seconds. */
export async function gcSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('nodejs_gc_duration_seconds_sum{')).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** The limit of the redirect path: a bare node:http server answering a fixed 302, in its own process. */
export async function startBareProcess(nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const code = `require('node:http').createServer((_q, res) => { res.writeHead(302, { location: 'https://merchant.example.com/product?ref=alpha', 'cache-control': 'no-store' }); res.end(); }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, [...nodeArgs, '-e', code], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await ready(child, url, '/', 'bare node:http');
  return handle(child, url);
}
