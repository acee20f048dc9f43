import { expect } from 'chai';
import { insertCampaigns, insertTraffic } from '../support/analytics-fixtures.ts';
import { databaseAt, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A database written before 0023 knew only a campaign's partner now and since when it had it: the
// time before a handover becomes nobody's (who had it is lost), the partner now keeps its own.
describe('migration 0023: campaign partner history on a database with handed-over campaigns', () => {
  let db: TestDatabase;
  let server: TestServer;
  let auth: Record<string, string>;

  before(async function () {
    this.timeout(60_000);
    db = await databaseAt('0022-inlinable-click-id-time', async (sql) => {
      await sql.query(`insert into tenants (handle, name) values ('old', 'Old')`);
      await sql.query(`insert into partners (handle, partner_id, name) values ('old', 'anna', 'Anna'), ('old', 'bob', 'Bob')`);
      await insertCampaigns(sql, 'old', ['c1', 'c2']);
      // c1 went to bob at 10:30:00.123456 (microseconds, as now() wrote them); c2 was always anna's.
      await sql.query(`update campaigns set partner_id = 'bob', partner_since = '2026-03-09T10:30:00.123456Z' where campaign_id = 'c1'`);
      await sql.query(`update campaigns set partner_id = 'anna' where campaign_id = 'c2'`);
      await insertTraffic(sql, 'old', [
        { campaignId: 'c1', at: '2026-03-09T10:05:00Z' },
        { campaignId: 'c1', at: '2026-03-09T10:45:00Z' },
        { campaignId: 'c1', at: '2026-03-09T11:10:00Z' },
        { campaignId: 'c2', at: '2026-03-09T10:20:00Z' },
      ]);
    });
    server = await startTestServer({ db });
    auth = server.admin();
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it("records the time before each handover as nobody's, to the millisecond", async () => {
    const { rows } = await server.sql.query(`select campaign_id, partner_id, since, until from campaign_partner_history where handle = 'old'`);
    expect(rows).to.deep.equal([{ campaign_id: 'c1', partner_id: null, since: null, until: new Date('2026-03-09T10:30:00.123Z') }]);
    const since = await server.sql.query(`select campaign_id, partner_since from campaigns where handle = 'old' order by 1`);
    expect(since.rows.map((r) => r.partner_since)).to.deep.equal([new Date('2026-03-09T10:30:00.123Z'), null]);
  });

  it('counts the clicks after the handover for the partner now, those before for nobody', async () => {
    const byPartner = await server.http.get('/v2/handles/old/analytics?groupBy=partner').set(auth).expect(200);
    expect(byPartner.body.data.map((r: { key: string; clicks: number }) => [r.key, r.clicks])).to.deep.equal([['bob', 2], ['', 1], ['anna', 1]]);
    const bob = await server.http.get('/v2/handles/old/analytics?funnel=true&partnerId=bob').set(auth).expect(200);
    expect(bob.body.totals.clicks).to.equal(2);
  });
});
