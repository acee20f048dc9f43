import { expect } from 'chai';
import { databaseAt, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Until automatic approval approved an adjustment only with (or after) its commission, a rejection racing the
// approval job could leave a partial reversal's adjustment approved against a rejected commission. 0032 rejects
// those still unpaid, as 0027 did for the adjustments rejections used to leave pending.
describe('migration 0032: adjustments approved apart from their rejected commission', () => {
  let db: TestDatabase;
  let server: TestServer;
  const ids = {
    rejected: '00000000-0000-4000-8000-0000000000d1', stray: '00000000-0000-4000-8000-0000000000d2',
    approved: '00000000-0000-4000-8000-0000000000e1', keptAdjustment: '00000000-0000-4000-8000-0000000000e2',
    paidOut: '00000000-0000-4000-8000-0000000000f1', inPayout: '00000000-0000-4000-8000-0000000000f2',
  };

  before(async function () {
    this.timeout(60_000);
    db = await databaseAt('0031-partner-status-history', async (sql) => {
      await sql.query(`insert into tenants (handle, name) values ('old', 'Old')`);
      const row = (id: string, conversion: string, type: string, amount: string, status: string, payout: string | null = null) =>
        sql.query(
          `insert into commissions (commission_id, handle, partner_id, campaign_id, conversion_id, type, event_type, quantity, amount, currency, status, hold_until, reason, payout_id)
           values ($1, 'old', 'anna', 'c1', $2, $3, 'sale', 1, $4, 'EUR', $5, now() - interval '1 day', $6, $7)`,
          [id, conversion, type, amount, status, status === 'rejected' && type === 'conversion' ? 'fraud' : type === 'adjustment' ? 'refund' : null, payout],
        );
      const [c1, c2, c3] = ['10000000-0000-4000-8000-000000000011', '10000000-0000-4000-8000-000000000012', '10000000-0000-4000-8000-000000000013'];
      await row(ids.rejected, c1, 'conversion', '12.50', 'rejected');
      await row(ids.stray, c1, 'adjustment', '-4.17', 'approved');
      await row(ids.approved, c2, 'conversion', '5.00', 'approved');
      await row(ids.keptAdjustment, c2, 'adjustment', '-1.00', 'approved');
      await row(ids.paidOut, c3, 'conversion', '4.00', 'rejected');
      await row(ids.inPayout, c3, 'adjustment', '-1.00', 'approved', '20000000-0000-4000-8000-000000000011');
    });
    server = await startTestServer({ db });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('rejects the unpaid approved adjustment of a rejected commission with its reason, audited; leaves every other row', async () => {
    const { rows } = await server.sql.query(`select commission_id as id, status, reason from commissions where handle = 'old' order by 1`);
    const by = Object.fromEntries(rows.map((r) => [r.id, [r.status, r.reason]]));
    expect(by[ids.stray]).to.deep.equal(['rejected', 'fraud']);
    expect(by[ids.rejected]).to.deep.equal(['rejected', 'fraud']);
    expect(by[ids.keptAdjustment]).to.deep.equal(['approved', 'refund']); // its commission is approved: it stands
    expect(by[ids.inPayout]).to.deep.equal(['approved', 'refund']); // in a payout: the payout's to settle
    const audit = await server.sql.query(
      `select subject_id, payload->>'from' as "from", payload->>'to' as "to", payload->>'via' as via
         from audit_events where handle = 'old' and type = 'commission.status_changed' order by 1`);
    expect(audit.rows).to.deep.equal([{ subject_id: ids.stray, from: 'approved', to: 'rejected', via: 'migration' }]);
  });
});
