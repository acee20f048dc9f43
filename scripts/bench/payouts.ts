// `npm run bench -- payouts [--commissions N] [--partners N]`: how long one payout run takes over N approved
// commissions of P partners (default 100,000 and 1,000; issue 15), then mark-paid of the largest payout
// and its statement. The server runs in this process on a fresh database (a run is one statement: the
// figure is PostgreSQL's, not the event loop's).
import { performance } from 'node:perf_hooks';
import { partnerCampaign } from '../../test/support/conversions.ts';
import { dropRunDatabases } from '../../test/support/database.ts';
import { startTestServer } from '../../test/support/server.ts';
import { arg, isMain, printTable, writeResult } from './support.ts';

export async function runPayoutsBench(opts: { commissions?: number; partners?: number } = {}) {
  const commissions = opts.commissions ?? arg('commissions', 100_000);
  const partners = opts.partners ?? arg('partners', 1_000);
  const server = await startTestServer({ redis: false });
  try {
    const t = await partnerCampaign(server);
    const seeded = performance.now();
    // Two currencies, amounts 0.01..99.99 and every 50th row a clawback, so totals net like a real ledger.
    await server.sql.query(
      `insert into commissions (commission_id, handle, partner_id, campaign_id, type, event_type, amount, currency, status, hold_until)
       select gen_random_uuid(), $1, 'p' || (i % $3), $4, case when i % 50 = 0 then 'clawback' else 'conversion' end, 'sale',
              case when i % 50 = 0 then -((i % 997) / 100.0 + 0.01) else (i % 9999) / 100.0 + 0.01 end,
              case when i % 3 = 0 then 'EUR' else 'USD' end, 'approved', now() - interval '1 day'
         from generate_series(1, $2::int) i`,
      [t.handle, commissions, partners, t.campaignId],
    );
    await server.sql.query('analyze commissions');
    const seedMs = performance.now() - seeded;

    const started = performance.now();
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'bench' });
    const runMs = performance.now() - started;
    if (run.status !== 201) throw new Error(`payout run answered ${run.status}: ${JSON.stringify(run.body)}`);
    const payouts = run.body.data as Array<{ payoutId: string; commissionCount: number }>;
    const largest = payouts.reduce((a, b) => (b.commissionCount > a.commissionCount ? b : a));

    const statementStarted = performance.now();
    const statement = await server.http.get(`/v2/handles/${t.handle}/payouts/${largest.payoutId}/statement?format=csv`).set(t.auth);
    const statementMs = performance.now() - statementStarted;
    const paidStarted = performance.now();
    await server.http.post(`/v2/handles/${t.handle}/payouts/${largest.payoutId}/mark-paid`).set(t.auth).send({ reference: 'bench' });
    const paidMs = performance.now() - paidStarted;
    const { rows: [check] } = await server.sql.query(
      `select (select sum(amount)::text from commissions where handle = $1 and payout_id is not null) as lines,
              (select sum(amount)::text from payouts where handle = $1) as paid`, [t.handle]);
    if (check.lines !== check.paid) throw new Error(`payouts ${check.paid} ≠ their lines ${check.lines}`);

    const rows = [{
      commissions, partners, payouts: payouts.length, 'seed ms': Math.round(seedMs), 'run ms': Math.round(runMs),
      'statement lines': statement.text.split('\r\n').length - 2, 'statement ms': Math.round(statementMs), 'mark-paid ms': Math.round(paidMs),
    }];
    printTable(rows);
    console.log(`written to ${writeResult('payouts', { rows })}`);
    return rows;
  } finally {
    await server.close();
    await dropRunDatabases(); // the migrated database test servers are copied from, and anything else named after this process
  }
}

if (isMain(import.meta.url)) await runPayoutsBench();
