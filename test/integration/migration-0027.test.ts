import { expect } from 'chai';
import { databaseAt, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Before adjustments followed their commission, rejecting a commission left its adjustment pending,
// to be approved at its hold and netted against the partner. 0027 rejects those still unpaid.
describe('migration 0027: the adjustments of rejected commissions, left pending before', () => {
  let db: TestDatabase;
  let server: TestServer;
  const ids = {
    rejected: '00000000-0000-4000-8000-0000000000a1', orphan: '00000000-0000-4000-8000-0000000000a2', approvedOrphan: '00000000-0000-4000-8000-0000000000a3',
    kept: '00000000-0000-4000-8000-0000000000b1', keptAdjustment: '00000000-0000-4000-8000-0000000000b2',
    paidOut: '00000000-0000-4000-8000-0000000000c1', inPayout: '00000000-0000-4000-8000-0000000000c2',
  };

  before(async function () {
    this.timeout(60_000);
    db = await databaseAt('0026-money-sums-unbounded', async (sql) => {
      await sql.query(`insert into tenants (handle, name) values ('old', 'Old')`);
      const row = (id: string, conversion: string, type: string, amount: string, status: string, payout: string | null = null) =>
        sql.query(
          `insert into commissions (commission_id, handle, partner_id, campaign_id, conversion_id, type, event_type, quantity, amount, currency, status, hold_until, reason, payout_id)
           values ($1, 'old', 'anna', 'c1', $2, $3, 'sale', 1, $4, 'EUR', $5, now() + interval '30 days', $6, $7)`,
          [id, conversion, type, amount, status, status === 'rejected' && type === 'conversion' ? 'fraud' : null, payout],
        );
      const [c1, c2, c3] = ['10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000003'];
      await row(ids.rejected, c1, 'conversion', '8.00', 'rejected');
      await row(ids.orphan, c1, 'adjustment', '-2.00', 'pending');
      await row(ids.approvedOrphan, c1, 'adjustment', '-1.00', 'approved');
      await row(ids.kept, c2, 'conversion', '5.00', 'pending');
      await row(ids.keptAdjustment, c2, 'adjustment', '-1.00', 'pending');
      await row(ids.paidOut, c3, 'conversion', '4.00', 'rejected');
      await row(ids.inPayout, c3, 'adjustment', '-1.00', 'approved', '20000000-0000-4000-8000-000000000001');
    });
    server = await startTestServer({ db });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('rejects the unpaid adjustments of rejected commissions with their reason, audited; leaves every other row', async () => {
    const { rows } = await server.sql.query(`select commission_id as id, status, reason from commissions where handle = 'old' order by 1`);
    const by = Object.fromEntries(rows.map((r) => [r.id, [r.status, r.reason]]));
    expect(by[ids.orphan]).to.deep.equal(['rejected', 'fraud']);
    expect(by[ids.approvedOrphan]).to.deep.equal(['rejected', 'fraud']);
    expect(by[ids.keptAdjustment]).to.deep.equal(['pending', null]);
    expect(by[ids.inPayout]).to.deep.equal(['approved', null]); // in a payout: the payout's to settle
    const audit = await server.sql.query(
      `select subject_id, payload->>'from' as "from", payload->>'via' as via from audit_events where handle = 'old' and type = 'commission.status_changed' order by 1`);
    expect(audit.rows).to.deep.equal([{ subject_id: ids.orphan, from: 'pending', via: 'migration' }, { subject_id: ids.approvedOrphan, from: 'approved', via: 'migration' }]);
  });
});
