// `tenx reconcile <handle>`: checks that funnel, export, raw tables and rollups of a handle agree (operator tool).
import type { Command } from 'commander';
import type { ReconcileReport, ReconcileTotals } from '../../core/analytics/reconcile.ts';
import { ServerError } from './errors.ts';
import { action, formatTable, money, printJson } from './output.ts';

const currencies = (t: ReconcileTotals) =>
  Object.entries(t.valueByCurrency).map(([c, v]) => `${money(v)} ${c}`).join(', ') || '-';

export function formatReport(r: ReconcileReport): string {
  const views: [string, ReconcileTotals][] = [['funnel', r.funnel], ['export', r.export], ['raw tables', r.raw], ['rollups', r.rollups]];
  return (
    formatTable(views, [
      { header: 'VIEW', value: ([name]) => name },
      { header: 'CLICKS', value: ([, t]) => t.clicks, align: 'right' },
      { header: 'QUALIFIED', value: ([, t]) => t.qualifiedClicks, align: 'right' },
      { header: 'CONVERSIONS', value: ([, t]) => t.conversions, align: 'right' },
      { header: 'VERIFIED', value: ([, t]) => t.verifiedConversions, align: 'right' },
      { header: 'VALUE', value: ([, t]) => currencies(t) },
    ]) + (r.ok ? `\n${r.handle}: all views agree (checked ${r.checkedAt}).\n` : `\n${r.handle}: ${r.mismatches.length} mismatch(es):\n${r.mismatches.map((m) => `  - ${m}`).join('\n')}\n`)
  );
}

async function runReconcile(handle: string, o: { json?: boolean }) {
  const { configOrExit } = await import('./operator.ts');
  const config = await configOrExit();
  // Loaded lazily (it pulls in the analytics module); kernel.ts installs the pg type parsers it relies on.
  await import('../../core/kernel.ts');
  const [{ default: pg }, { startEmbeddedPostgres }, { reconcile }] = await Promise.all([
    import('pg'),
    import('../../core/db/embedded.ts'),
    import('../../core/analytics/reconcile.ts'),
  ]);
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, 2);
  const pool = new pg.Pool({ connectionString: config.databaseUrl || embedded!.url, max: 2 });
  let report: ReconcileReport;
  try {
    report = await reconcile(pool, handle);
  } finally {
    await pool.end();
    await embedded?.stop();
  }
  if (o.json) printJson(report);
  else process.stdout.write(formatReport(report));
  // Scripts (a nightly check, a payout run) must see a disagreement as a failure.
  if (!report.ok) throw new ServerError(`reconciliation of ${handle} found ${report.mismatches.length} mismatch(es)`);
}

export function registerReconcileCommand(program: Command) {
  program
    .command('reconcile <handle>')
    .description('check that funnel, export, raw clicks/conversions and rollups of a handle agree (reads DATABASE_URL directly; exit 1 on mismatch)')
    .option('--json', 'print the full report as JSON')
    .action(action(runReconcile));
}
