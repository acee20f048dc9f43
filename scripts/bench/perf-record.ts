// On-CPU profiles of a server process with Linux perf: `--perf-record DIR` on the redirect and conversions benches,
// or `node scripts/bench/perf-record.ts FILE.data [--top 15]` to summarise one. Unlike node --cpu-prof, which samples
// wall time (a socket write that waits on the load generator looks costly), perf samples only while a thread
// runs, kernel included; the server runs with --perf-basic-prof so JIT frames carry JS names.
// With it: the 302's socket write is 23 % of a redirect's CPU (16 µs; bare's is 8.6 µs), not the 42 % --cpu-prof shows.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { arg, isMain, printTable } from './support.ts';

/** Node flags that let perf name JS functions. */
export const PERF_NODE_ARGS = ['--perf-basic-prof'];

/** `--perf-record DIR` from the command line (created), or undefined. */
export function perfRecordDir(): string | undefined {
  const i = process.argv.indexOf('--perf-record');
  if (i < 0) return undefined;
  const dir = process.argv[i + 1];
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts `perf record -g` on a process; stop() ends it. Null (with a warning) when perf cannot run here. */
export function perfRecord(pid: number, file: string): { stop(): Promise<void> } | null {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
  } catch {
    process.stderr.write('perf is not installed: no on-CPU profile\n');
    return null;
  }
  const child = spawn('perf', ['record', '-F', '999', '-g', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return {
    stop: () => new Promise((ok) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        process.stderr.write(`perf record ended early: ${err.trim()}\n`);
        return ok();
      }
      child.once('exit', () => ok());
      child.kill('SIGINT');
    }),
  };
}

const share = (n: number, total: number) => `${((n / total) * 100).toFixed(1)} %`;

/** Top functions by self samples (where the CPU was) and JS functions by inclusive samples (what they cost with their callees). */
export function perfSummary(file: string, top = 15) {
  const script = execFileSync('perf', ['script', '-F', 'ip,sym', '-i', file], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const sample of script.split('\n\n')) {
    // Leaf first; each line is "address symbol".
    // JS frames as "JS:<tier>'name where" (tiers * + ^ ~: one function, however often it was recompiled).
    const frames = sample.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.slice(l.indexOf(' ') + 1).replace(/^JS:[*+^~]?'?/, 'JS '));
    if (frames.length === 0) continue;
    total++;
    self.set(frames[0], (self.get(frames[0]) ?? 0) + 1);
    for (const f of new Set(frames)) if (f.startsWith('JS ')) inclusive.set(f, (inclusive.get(f) ?? 0) + 1);
  }
  const rows = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, n]) => ({ share: share(n, total), function: fn.replace(/file:\/\/\S*?\/(core|plugins|node_modules)\//, '$1/').slice(0, 110) }));
  return { samples: total, self: rows(self), inclusive: rows(inclusive) };
}

/** Prints perfSummary(); a profile that was never written (perf missing, or unable to attach) is skipped. */
export function printPerfSummary(file: string, top = 15): void {
  if (!existsSync(file)) return;
  const s = perfSummary(file, top);
  console.log(`on-CPU profile ${file}: ${s.samples} samples (999 Hz per thread)\nself:`);
  printTable(s.self);
  console.log('JS functions, with their callees:');
  printTable(s.inclusive);
}

if (isMain(import.meta.url)) printPerfSummary(process.argv[2], arg('top', 15));
