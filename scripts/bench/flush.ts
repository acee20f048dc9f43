// `npm run bench -- flush [--clicks 100000] [--rounds 2] [--against CHECKOUT]`: PostgreSQL's CPU per stored click of the
// click flush (the rows, the rollups, last-click times, and click commissions where campaigns are held by partners with a
// click reward), from /proc of its backend, for the redirect bench's traffic (one link, one kind of visitor) and for a
// network's (100 campaigns, varied visitors; also each held by a partner, with a click reward), in batches of 1,000 (a
// saturated server) and 100 (a flush every 100 ms at ~1,000 clicks a second). Each figure is a run of flush-cost.ts in a
// process of its own, on a database of its own; rounds alternate the cases, and with --against another checkout's flush
// statement alternates with this one's (an A/B within one run; docs/performance.md).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { arg, argValue, isMain, median, printTable, QUICK, ROOT, sized, writeResult, type SummaryRow } from './support.ts';

interface Case {
  traffic: 'one' | 'spread';
  batch: number;
  /** Every campaign held by a partner, and a click reward: the flush writes click commissions too. */
  partners?: boolean;
}
const CASES: Case[] = [
  { traffic: 'one', batch: 1000 },
  { traffic: 'spread', batch: 1000 },
  { traffic: 'spread', batch: 1000, partners: true },
  { traffic: 'spread', batch: 100 },
];

function measure(tree: string, c: Case, clicks: number): { pg: number; node: number } {
  const total = c.batch === 100 ? Math.round(clicks / 3) : clicks; // small batches cost more a click: fewer of them
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts/bench/flush-cost.ts'), tree, String(total), String(c.batch), c.traffic, 'message', ...(c.partners ? ['partners'] : [])], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { pgCpuUsPerClick: number; nodeCpuUsPerClick: number };
  return { pg: r.pgCpuUsPerClick, node: r.nodeCpuUsPerClick };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const label = (c: Case) =>
  `${c.traffic === 'one' ? 'one link' : c.partners ? "100 campaigns, each a partner's, a click reward" : '100 campaigns'}, batches of ${c.batch}`;

export async function runFlushBench() {
  const clicks = sized('clicks', 100_000, 30_000);
  const rounds = arg('rounds', QUICK ? 1 : 2);
  const against = argValue('--against') ?? null;
  const trees = against ? [ROOT, against] : [ROOT];
  const runs = new Map<string, { pg: number[]; node: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const c of CASES) {
      // A B, then B A: whichever goes first in a round does not favour one side.
      for (const tree of round % 2 ? [...trees].reverse() : trees) {
        const key = `${tree}\t${label(c)}`;
        const m = measure(tree, c, clicks);
        const seen = runs.get(key) ?? { pg: [], node: [] };
        seen.pg.push(m.pg);
        seen.node.push(m.node);
        runs.set(key, seen);
        console.log(`round ${round + 1}/${rounds}: ${tree === ROOT ? 'this checkout' : tree}, ${label(c)}: PostgreSQL ${m.pg} µs a click, node ${m.node}`);
      }
    }
  }
  const rows = CASES.map((c) => {
    const mine = runs.get(`${ROOT}\t${label(c)}`)!;
    const other = against ? runs.get(`${against}\t${label(c)}`)! : null;
    return {
      traffic: label(c),
      'PG µs/click': r1(median(mine.pg)),
      'node µs/click': r1(median(mine.node)),
      ...(other ? { 'against: PG µs/click': r1(median(other.pg)), 'PG vs against': Number((median(mine.pg) / median(other.pg)).toFixed(2)) } : {}),
      runs: mine.pg.join(' / '),
    };
  });
  printTable(rows);
  const summary: SummaryRow[] = rows.map((r) => ({
    path: `click flush, PostgreSQL CPU a stored click: ${r.traffic}`, tenx: `${r['PG µs/click']} µs`, limit: '', ratio: null, goal: 'say (the redirect bench stores one link\'s clicks)', ok: null,
  }));
  console.log(`wrote ${writeResult('flush', { clicks, rounds, against, rows, summary })}`);
  return { rows, summary };
}

if (isMain(import.meta.url)) await runFlushBench();
