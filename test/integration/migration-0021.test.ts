import { expect } from 'chai';
import { reconcile } from '../../core/analytics/reconcile.ts';
import { insertCampaigns, insertTraffic, type ClickSpec } from '../support/analytics-fixtures.ts';
import { databaseAt, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const HOURLY = 'campaign_id, hour, currency, conversions, verified_conversions, unauthenticated_conversions, value';
const h = (iso: string) => new Date(iso).toISOString();

// A database written by 0020 (conversions rolled up per day only) gains the hourly conversion rollup, backfilled from the raw rows.
describe('migration 0021: hourly conversion rollups on a database with data', () => {
  let db: TestDatabase;
  let server: TestServer;
  // The reporting currency is EUR: a conversion without a currency counts there, with value 0.
  const traffic: ClickSpec[] = [
    { campaignId: 'c1', at: '2026-03-09T10:05:00Z', conversions: [{ value: 10, currency: 'USD', at: '2026-03-09T10:20:00Z' }, { value: 4.5, currency: 'USD', at: '2026-03-09T10:50:00Z' }] },
    { campaignId: 'c1', at: '2026-03-09T10:10:00Z', conversions: [{ value: 8, currency: 'GBP', at: '2026-03-09T10:30:00Z' }] },
    { campaignId: 'c1', at: '2026-03-09T11:01:00Z', isBot: true, conversions: [{ value: 3, currency: 'USD', at: '2026-03-09T11:02:00Z' }] },
    { campaignId: 'c1', at: '2026-03-09T23:58:00Z', conversions: [{ value: null, currency: null, at: '2026-03-10T00:03:00Z' }] },
    { campaignId: 'c2', at: '2026-03-09T10:15:00Z', conversions: [{ value: 20, currency: 'EUR', at: '2026-03-09T10:25:00Z' }] },
    { campaignId: 'c2', at: '2026-03-11T08:00:00Z' },
  ];

  before(async function () {
    this.timeout(60_000);
    db = await databaseAt('0020-partitioned-clicks', async (sql) => {
      await sql.query(`insert into tenants (handle, name, reporting_currency, public_conversions) values ('old', 'Old', 'EUR', 'accept')`);
      await insertCampaigns(sql, 'old', ['c1', 'c2']);
      await insertTraffic(sql, 'old', traffic, { before0021: true });
      // One conversion posted with a ctx only (the fixture's are merchant-posted), in the raw row and its daily rollup.
      await sql.query(`update conversions set authenticated = false where handle = 'old' and currency = 'GBP'`);
      await sql.query(`update conversion_rollups set unauthenticated_conversions = 1 where handle = 'old' and currency = 'GBP'`);
    });
    server = await startTestServer({ db }); // applies 0021 on the rows in place
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('backfills one row per campaign, hour and currency with the raw sums (a missing currency in the reporting currency)', async () => {
    const { rows } = await server.sql.query(`select ${HOURLY} from funnel_conversion_hours where handle = 'old' order by 1, 2, 3`);
    expect(rows.map((r) => ({ ...r, hour: r.hour.toISOString() }))).to.deep.equal([
      { campaign_id: 'c1', hour: h('2026-03-09T10:00Z'), currency: 'GBP', conversions: 1, verified_conversions: 1, unauthenticated_conversions: 1, value: 8 },
      { campaign_id: 'c1', hour: h('2026-03-09T10:00Z'), currency: 'USD', conversions: 2, verified_conversions: 2, unauthenticated_conversions: 0, value: 14.5 },
      { campaign_id: 'c1', hour: h('2026-03-09T11:00Z'), currency: 'USD', conversions: 1, verified_conversions: 0, unauthenticated_conversions: 0, value: 3 },
      { campaign_id: 'c1', hour: h('2026-03-10T00:00Z'), currency: 'EUR', conversions: 1, verified_conversions: 1, unauthenticated_conversions: 0, value: 0 },
      { campaign_id: 'c2', hour: h('2026-03-09T10:00Z'), currency: 'EUR', conversions: 1, verified_conversions: 1, unauthenticated_conversions: 0, value: 20 },
    ]);
  });

  it('adds up, day by day, to the daily rollups the claims wrote before it', async () => {
    const days = await server.sql.query(
      `select campaign_id, day, currency, conversions, verified_conversions, unauthenticated_conversions, value from conversion_rollups where handle = 'old' order by 1, 2, 3`,
    );
    const summed = await server.sql.query(
      `select campaign_id, (hour at time zone 'UTC')::date as day, currency, sum(conversions)::int as conversions, sum(verified_conversions)::int as verified_conversions,
              sum(unauthenticated_conversions)::int as unauthenticated_conversions, sum(value)::float as value
         from funnel_conversion_hours where handle = 'old' group by 1, 2, 3 order by 1, 2, 3`,
    );
    expect(days.rows).to.have.length(4);
    expect(summed.rows).to.deep.equal(days.rows);
  });

  it('answers groupBy=hour and hour-precise funnels from it, reconciles, and keeps counting new conversions into the same rows', async () => {
    const auth = server.admin();
    const hours = await server.http.get('/v2/handles/old/analytics?groupBy=hour&from=2026-03-09T10:00:00Z&to=2026-03-10T01:00:00Z').set(auth).expect(200);
    expect(hours.body.data.map((r: Record<string, unknown>) => [r.key, r.clicks, r.conversions, r.revenueByCurrency])).to.deep.equal([
      ['2026-03-09T10:00:00Z', 3, 4, { EUR: 20, GBP: 8, USD: 14.5 }],
      ['2026-03-09T11:00:00Z', 1, 1, { USD: 3 }],
      ['2026-03-09T23:00:00Z', 1, 0, {}],
      ['2026-03-10T00:00:00Z', 0, 1, { EUR: 0 }],
    ]);
    // [11:00 on the 9th, 08:00 on the 11th): edge hours on the 9th and 11th, the 10th whole.
    const funnel = await server.http.get('/v2/handles/old/analytics?funnel=true&from=2026-03-09T11:00:00Z&to=2026-03-11T08:00:00Z').set(auth).expect(200);
    expect(funnel.body.data.map((r: Record<string, unknown>) => [r.campaignId, r.clicks, r.conversions, r.revenueByCurrency]))
      .to.deep.equal([['c1', 2, 2, { EUR: 0, USD: 3 }], ['c2', 0, 0, {}]]);
    expect((await reconcile(server.sql, 'old')).mismatches).to.deep.equal([]);

    await insertTraffic(server.sql, 'old', [{ campaignId: 'c1', at: '2026-03-09T10:40:00Z', conversions: [{ value: 1.5, currency: 'USD', at: '2026-03-09T10:45:00Z' }] }]);
    const { rows } = await server.sql.query(
      `select conversions, value from funnel_conversion_hours where handle = 'old' and campaign_id = 'c1' and hour = '2026-03-09T10:00Z' and currency = 'USD'`,
    );
    expect(rows).to.deep.equal([{ conversions: 3, value: 16 }]);
    expect((await reconcile(server.sql, 'old')).mismatches).to.deep.equal([]);
  });
});
