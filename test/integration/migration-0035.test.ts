import { expect } from 'chai';
import { databaseAt, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Until 2026-12-05 a ctx-only conversion's commission never approved by itself, on any handle; API.md says so of `flag`
// handles alone. 0035 lets the pending rows of an `accept` handle's verified ctx-only conversions approve after their
// hold, and leaves every other row as it was.
describe('migration 0035: ctx-only conversions of accept handles approve after their hold', () => {
  let db: TestDatabase;
  let server: TestServer;
  const conversion = (n: number) => `10000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`;
  const commission = (n: number) => `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`;

  before(async function () {
    this.timeout(60_000);
    db = await databaseAt('0034-payout-releases', async (sql) => {
      await sql.query(`insert into tenants (handle, name) values ('old', 'Old')`);
      const convert = (n: number, verified: boolean, authenticated: boolean) =>
        sql.query(
          `insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, body_hash, verified, authenticated)
           values ($1, 'old', $2, gen_random_uuid(), 'c1', 'sale', 'h', $3, $4)`,
          [conversion(n), `k${n}`, verified, authenticated],
        );
      const earn = (n: number, of: number, type: string, status: string, autoApprove: boolean) =>
        sql.query(
          `insert into commissions (commission_id, handle, partner_id, campaign_id, conversion_id, type, event_type, quantity, amount, currency, status, hold_until, auto_approve)
           values ($1, 'old', 'anna', 'c1', $2, $3, 'sale', 1, $4, 'EUR', $5, now() - interval '1 day', $6)`,
          [commission(n), conversion(of), type, type === 'adjustment' ? '-1.00' : '5.00', status, autoApprove],
        );
      await convert(1, true, false); // accept handle, ctx-only, its click stored: the rows to free
      await earn(1, 1, 'conversion', 'pending', false);
      await earn(2, 1, 'adjustment', 'pending', false);
      await convert(2, false, false); // flag handle (never verified), or a click never stored: stays
      await earn(3, 2, 'conversion', 'pending', false);
      await convert(3, true, false); // approved by hand already: only pending rows change
      await earn(4, 3, 'conversion', 'approved', false);
      await convert(4, true, false); // the merchant posted its key afterwards: a person decides
      await earn(5, 4, 'conversion', 'pending', false);
      await sql.query(
        `insert into audit_events (event_id, handle, type, actor, subject_id, payload)
         values (gen_random_uuid(), 'old', 'conversion.mismatch', 'tok', $1, '{"changes": {"authenticated": {"original": false, "submitted": true}}}')`,
        [conversion(4)],
      );
      await convert(5, true, true); // the merchant's own: untouched whatever it holds
      await earn(6, 5, 'conversion', 'pending', false);
    });
    server = await startTestServer({ db });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('frees the pending rows of verified ctx-only conversions, not a flag handle\'s, a mismatch\'s, the merchant\'s or a row already decided', async () => {
    const { rows } = await server.sql.query(`select commission_id as id, status, auto_approve from commissions where handle = 'old' order by 1`);
    expect(rows.map((r) => [r.id, r.status, r.auto_approve])).to.deep.equal([
      [commission(1), 'pending', true],
      [commission(2), 'pending', true],
      [commission(3), 'pending', false],
      [commission(4), 'approved', false],
      [commission(5), 'pending', false],
      [commission(6), 'pending', false],
    ]);
  });
});
