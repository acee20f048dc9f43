// `tenx reconcile <handle>`: checks that funnel, export, raw tables and rollups of a handle agree (operator tool).
import type { Command } from 'commander';
import type { ReconcileReport, ReconcileTotals } from '../../core/analytics/reconcile.ts';
import type { LedgerMismatch } from '../../core/commissions/index.ts';
import { centsOf, centsToText } from '../../core/commissions/money.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServerError, UsageError } from './errors.ts';
import { action, formatTable, printJson } from './output.ts';

// Read from the database here, not parsed from JSON: a sum past a double's digits is exact (core/db/numeric.ts), so is its text.
const currencies = (t: ReconcileTotals) =>
  Object.entries(t.valueByCurrency).map(([c, v]) => `${centsToText(centsOf(v))} ${c}`).join(', ') || '-';

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
    ]) + (r.ok ? `\n${r.handle}: all views agree${r.notes.length ? ', the export as the notes below explain' : ''} (checked ${r.checkedAt}).\n` : `\n${r.handle}: ${r.mismatches.length} mismatch(es):\n${r.mismatches.map((m) => `  - ${m}`).join('\n')}\n`) +
    r.notes.map((n) => `note: ${n}\n`).join('')
  );
}

/** The ledger's part (issue 15): each broken rule with how many rows break it and a few of their ids. */
export function formatLedger(handle: string, ledger: LedgerMismatch[]): string {
  if (ledger.length === 0) return `${handle}: the commission ledger holds (every commission, status and payout checked).\n`;
  return `${handle}: ${ledger.length} ledger mismatch(es):\n${ledger.map((m) => `  - ${m.check}: ${m.count} row(s), e.g. ${m.sample.join(', ')}`).join('\n')}\n`;
}

/**
 * One query before the checks: a DATABASE_URL nothing answers on fails as `tenx migrate` and `tenx serve` do, naming the
 * setting and where it points (never its password), not a bare `connect ECONNREFUSED 127.0.0.1:5432`.
 */
async function connected(pool: { query(sql: string): Promise<unknown> }, databaseUrl: string): Promise<void> {
  try {
    await pool.query('select 1');
  } catch (err) {
    if (!databaseUrl) throw err;
    const { cannotConnect } = await import('../../core/db/orm.ts');
    throw new ServerError(cannotConnect('DATABASE_URL', databaseUrl, err).message);
  }
}

async function runReconcile(handle: string, o: { json?: boolean }) {
  const { configOrExit } = await import('./operator.ts');
  const config = await configOrExit();
  // A check reads a database that exists: without DATABASE_URL, the embedded one the server keeps under DATA_DIR
  // (starting one here would create an empty database and report the handle unknown).
  if (!config.databaseUrl && !existsSync(`${config.dataDir}/pg/PG_VERSION`)) {
    throw new UsageError(`no database to check: DATABASE_URL is empty and DATA_DIR (${resolve(config.dataDir)}) holds no embedded database; set DATABASE_URL to the server's database, or DATA_DIR to the folder the embedded server keeps its data in (its DATA_DIR, default ./data), with that server stopped: PGlite lives in one process`);
  }
  // Loaded lazily (it pulls in the analytics module); kernel.ts installs the pg type parsers it relies on.
  await import('../../core/kernel.ts');
  const [{ pino }, { createPool }, { startEmbeddedPostgres, embeddedOptions }, { reconcile }, { ledgerMismatches }] = await Promise.all([
    import('pino'),
    import('../../core/db/pool.ts'),
    import('../../core/db/embedded.ts'),
    import('../../core/analytics/reconcile.ts'),
    import('../../core/commissions/index.ts'),
  ]);
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, embeddedOptions(config));
  // The server's pool: every connection has an error listener for its whole life, so one dropped while
  // a check holds it (a restart, a proxy cut) fails that check's query, which is reported in one line
  // below, instead of an unhandled 'error' event crashing the command. Silent: the query says it.
  const pool = createPool(config.databaseUrl || embedded!.url, 2, pino({ level: 'silent' }));
  let report: ReconcileReport;
  let ledger: LedgerMismatch[];
  // Minutes on a large embedded handle, with nothing on screen: each step says it is under way (stderr, a terminal's).
  const step = (what: string) => process.stderr.isTTY && process.stderr.write(`checking ${handle}: ${what}…\n`);
  try {
    await connected(pool, config.databaseUrl);
    step('funnel, export, raw clicks and conversions, rollups');
    report = await reconcile(pool, handle);
    step('the commission ledger');
    ledger = await ledgerMismatches(pool, handle);
  } finally {
    await pool.end();
    await embedded?.stop();
  }
  if (o.json) printJson({ ...report, ok: report.ok && ledger.length === 0, ledger });
  else process.stdout.write(formatReport(report) + formatLedger(handle, ledger));
  // Scripts (a nightly check, a payout run) must see a disagreement as a failure.
  if (!report.ok) throw new ServerError(`reconciliation of ${handle} found ${report.mismatches.length} mismatch(es)`);
  if (ledger.length) throw new ServerError(`the commission ledger of ${handle} breaks ${ledger.length} rule(s)`);
}

export function registerReconcileCommand(program: Command) {
  program
    .command('reconcile <handle>')
    .description('check that funnel, export, raw clicks/conversions and rollups of a handle agree, and that its commission ledger holds (reads DATABASE_URL directly; exit 1 on mismatch)')
    .option('--json', 'print the full report as JSON')
    .action(action(runReconcile));
}
