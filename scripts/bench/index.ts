// `npm run bench -- <name|all> [--quick] [options]`: each bench prints its table and writes bench/results/<name>.json;
// `all` runs every registered bench and ends with ONE summary table (issue 17's ratios beside their goals,
// with the date) written to bench/results/summary.json. `--quick` shrinks each bench (all ends in ~10 min on
// a 2-core box). Figures are only comparable within one run on a shared machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printTable, QUICK, ROOT, writeResult, type SummaryRow } from './support.ts';

/** A bench: `run` returns its result; a `summary` field (SummaryRow[]) on it joins the `all` table. */
interface Bench {
  run: () => Promise<unknown>;
  /** Options `all --quick` passes this bench. */
  quick?: string[];
  /** Summary rows from a result that carries no `summary` field of its own. */
  summarize?: (result: never) => SummaryRow[];
}

const benches: Record<string, Bench> = {
  redirect: { run: async () => (await import('./redirect.ts')).runRedirectBench() },
  flush: { run: async () => (await import('./flush.ts')).runFlushBench() },
  conversions: { run: async () => (await import('./conversions.ts')).runConversionsBench() },
  analytics: { run: async () => (await import('./analytics.ts')).runAnalyticsBench(), quick: ['--clicks', '1000000', '--conversions', '20000', '--export-rows', '200000', '--calls', '30'] },
  webhooks: {
    run: async () => (await import('./webhooks.ts')).runWebhooksBench(), quick: ['--events', '3000'],
    summarize: (r: { deliveriesPerSecond: number; burstP99Ms: number; target: string; met: boolean }) => [
      { path: 'webhook deliveries, burst', tenx: `${r.deliveriesPerSecond}/s, p99 ${r.burstP99Ms} ms`, limit: '', ratio: null, goal: r.target, ok: r.met },
    ],
  },
  payouts: {
    run: async () => (await import('./payouts.ts')).runPayoutsBench(), quick: ['--commissions', '20000', '--partners', '200'],
    summarize: (rows: { commissions: number; partners: number; 'run ms': number }[]) => rows.map((r) => ({
      path: `payout run, ${r.commissions.toLocaleString('en')} approved commissions of ${r.partners} partners`, tenx: `${r['run ms']} ms`, limit: '', ratio: null, goal: 'say how long', ok: null,
    })),
  },
  embedded: {
    run: async () => (await import('./embedded.ts')).runEmbeddedBench(), quick: ['--restarts', '1', '--traffic-seconds', '3'],
    summarize: (r: { now: { firstStartMs: number; restartMs: number; steadyRssMb: number }; goals: { firstStartMs: number; restartMs: number; steadyRssMb: number } }) => [
      { path: 'embedded: first start → /healthz', tenx: `${r.now.firstStartMs} ms`, limit: '', ratio: null, goal: `< ${r.goals.firstStartMs} ms`, ok: r.now.firstStartMs < r.goals.firstStartMs },
      { path: 'embedded: restart → /healthz (worst)', tenx: `${r.now.restartMs} ms`, limit: '', ratio: null, goal: `< ${r.goals.restartMs} ms`, ok: r.now.restartMs < r.goals.restartMs },
      { path: 'embedded: steady RSS (worst)', tenx: `${r.now.steadyRssMb} MB`, limit: '', ratio: null, goal: `< ${r.goals.steadyRssMb} MB`, ok: r.now.steadyRssMb < r.goals.steadyRssMb },
    ],
  },
};

const order = Object.keys(benches);
function previousSummaryRows(): (SummaryRow & { bench: string; date: string })[] {
  try {
    const prev = JSON.parse(readFileSync(join(ROOT, 'bench/results/summary.json'), 'utf8')) as { date: string; rows: (SummaryRow & { bench: string; date?: string })[] };
    return prev.rows.map((r) => ({ ...r, date: r.date ?? prev.date }));
  } catch {
    return [];
  }
}

const which = process.argv[2] ?? 'all';
// `all`, one name, or several (`redirect,conversions`): more than one ends with the summary table.
const names = which === 'all' || which.startsWith('--') ? Object.keys(benches) : which.split(',');
for (const name of names) {
  if (!benches[name]) {
    console.error(`unknown bench "${name}"; choose one of: ${Object.keys(benches).join(', ')}, all`);
    process.exit(2);
  }
}

const userArgs = process.argv.slice(which.startsWith('--') ? 2 : 3);
const summary: (SummaryRow & { bench: string })[] = [];
const failed: string[] = [];
const started = Date.now();
for (const name of names) {
  console.log(`\n== bench: ${name}`);
  // A bench reads its options from process.argv: under `all`, only the shared flags and its quick sizes.
  if (names.length > 1) process.argv = [process.argv[0], process.argv[1], name, ...(QUICK ? benches[name].quick ?? [] : []), ...userArgs.filter((a) => a === '--quick')];
  try {
    const result = (await benches[name].run()) as { summary?: SummaryRow[] } | undefined;
    const summarize = benches[name].summarize;
    const rows = result && summarize ? summarize(result as never) : result?.summary ?? [];
    for (const row of rows) summary.push({ bench: name, ...row });
  } catch (err) {
    if (names.length === 1) throw err;
    console.error(`bench ${name} failed: ${(err as Error).stack ?? err}`);
    failed.push(name);
  }
}

const date = new Date().toISOString().slice(0, 10);
if (names.length > 1) {
  console.log(`\n== summary (${date}${QUICK ? ', --quick' : ''}; ${Math.round((Date.now() - started) / 60000)} min; ratios are same-run, absolute figures swing between runs)`);
  printTable(summary.map((r) => ({ path: r.path, tenx: r.tenx, limit: r.limit, ratio: r.ratio === null ? '' : `${r.ratio}×`, goal: r.goal, ok: r.ok === null ? '' : r.ok ? 'yes' : 'NO' })));
  if (failed.length) console.log(`failed: ${failed.join(', ')}`);
}
// summary.json keeps the latest rows of every bench, each with its date: a bench re-run alone replaces only its own.
if (summary.length) {
  const kept = previousSummaryRows().filter((r) => !names.includes(r.bench));
  const rows = [...kept, ...summary.map((r) => ({ ...r, date, quick: QUICK }))].sort((a, b) => order.indexOf(a.bench) - order.indexOf(b.bench));
  console.log(`wrote ${writeResult('summary', { date, benches: names, failed, rows })}`);
}
process.exit(failed.length ? 1 : 0);
