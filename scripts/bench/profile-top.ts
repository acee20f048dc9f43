// `node scripts/bench/profile-top.ts FILE.cpuprofile [--top 10]`: the functions with the most self time in a
// V8 CPU profile (node --cpu-prof), as a table: self ms, share of the busy samples, function and where it is.
// The profiler samples wall time: on a loaded box a socket write that wakes the load generator looks costly.
import { readFileSync } from 'node:fs';
import { arg, isMain, printTable } from './support.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

export function topSelf(file: string, top: number) {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byNode = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byNode.get(prof.samples[i])!;
    const dt = prof.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|core|scripts)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({
    'self ms': Math.round(us / 1000), share: `${((us / total) * 100).toFixed(1)} %`, function: fn,
  }));
  return { rows, busyMs: Math.round(total / 1000), idleMs: Math.round(idle / 1000) };
}

if (isMain(import.meta.url)) {
  const out = topSelf(process.argv[2], arg('top', 10));
  console.log(`busy ${out.busyMs} ms, idle ${out.idleMs} ms`);
  printTable(out.rows);
}
