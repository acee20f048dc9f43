import { expect } from 'chai';
import pg from 'pg';
import pino from 'pino';
import { reconcile } from '../../core/analytics/reconcile.ts';
import { initOrm } from '../../core/db/orm.ts';
import { insertCampaigns, insertTraffic } from '../support/analytics-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Ten days ago, 10:00 UTC.
const OLD = new Date(Math.floor(Date.now() / DAY) * DAY - 10 * DAY + 10 * HOUR);
// Two hours ago.
const RECENT = new Date(Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR);
const at = (base: Date, minutes: number) => new Date(base.getTime() + minutes * 60_000);

interface OldClick { id: string; campaign: string; at: Date; country: string; segment: string; source: string; bot: boolean }

// A database written by 0018 (rollups by hour × country × segment × source, fanned out by triggers) moves to 0019's rollups.
describe('migration 0019: compressed rollups on a database with data', () => {
  let db: TestDatabase;
  let server: TestServer;
  const clicks: OldClick[] = [
    { id: '00000000-0000-7000-8000-000000000001', campaign: 'c1', at: at(OLD, 5), country: 'US', segment: 'desktop', source: 'direct', bot: false },
    { id: '00000000-0000-7000-8000-000000000002', campaign: 'c1', at: at(OLD, 35), country: 'US', segment: 'desktop', source: 'direct', bot: true },
    { id: '00000000-0000-7000-8000-000000000003', campaign: 'c1', at: at(OLD, 50), country: 'DE', segment: 'mobile', source: 'email', bot: false },
    { id: '00000000-0000-7000-8000-000000000004', campaign: 'c1', at: at(OLD, 300), country: 'FR', segment: 'desktop', source: 'direct', bot: false },
    { id: '00000000-0000-7000-8000-000000000005', campaign: 'c2', at: at(RECENT, 1), country: 'US', segment: 'mobile', source: 'twitter', bot: false },
    { id: '00000000-0000-7000-8000-000000000006', campaign: 'c2', at: at(RECENT, 2), country: 'US', segment: 'mobile', source: 'twitter', bot: false },
    { id: '00000000-0000-7000-8000-000000000007', campaign: 'c2', at: at(RECENT, 3), country: 'US', segment: 'mobile', source: 'twitter', bot: false },
  ];
  // On click 1 (USD 10, 10:40) and click 5 (EUR 5, recent).
  const conversions = [{ click: clicks[0], value: 10, currency: 'USD', at: at(OLD, 40) }, { click: clicks[4], value: 5, currency: 'EUR', at: at(RECENT, 10) }];
  const get = (query: string) => server.http.get(`/v2/handles/old/analytics?${query}`).set(server.admin());

  before(async function () {
    this.timeout(60_000);
    db = await createTestDatabase();
    const orm = await initOrm(db.url, 2, pino({ level: 'silent' }));
    try {
      await orm.getMigrator().up({ to: '0018-postbacks' });
    } finally {
      await orm.close();
    }
    const sql = new pg.Pool({ connectionString: db.url, max: 1 });
    sql.on('error', () => {}); // a socket still closing when the database is dropped (as server.ts)
    try {
      await sql.query(`insert into tenants (handle, name, reporting_currency) values ('old', 'Old', 'USD')`);
      await insertCampaigns(sql, 'old', ['c1', 'c2']);
      for (const c of clicks) {
        await sql.query(
          `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, is_bot)
           values ($1, 'old', $2, $3, $4, $5, $5, $6, 'https://merchant.example.com/', $7)`,
          [c.id, c.campaign, c.at, c.country, c.segment, c.source, c.bot],
        );
        // As 0018's flush did: the dimensioned hourly row, which its triggers fanned out.
        await sql.query(
          `insert into click_rollups (handle, campaign_id, hour, country, segment, source, clicks, qualified_clicks)
           values ('old', $1, date_trunc('hour', $2::timestamptz, 'UTC'), $3, $4, $5, 1, $6)
           on conflict (handle, campaign_id, hour, country, segment, source) do update
             set clicks = click_rollups.clicks + 1, qualified_clicks = click_rollups.qualified_clicks + excluded.qualified_clicks`,
          [c.campaign, c.at, c.country, c.segment, c.source, c.bot ? 0 : 1],
        );
      }
      for (const [i, v] of conversions.entries()) {
        const c = v.click;
        await sql.query(
          `insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency, body_hash,
             country, segment, source, click_is_bot, verified, authenticated, created_at)
           values ($1, 'old', $2, $3, $4, 'affiliate_click', $5, $6, 'h', $7, $8, $9, false, true, true, $10)`,
          [`00000000-0000-7000-8000-00000000010${i}`, `k${i}`, c.id, c.campaign, v.value, v.currency, c.country, c.segment, c.source, v.at],
        );
        await sql.query(
          `insert into conversion_rollups (handle, campaign_id, hour, country, segment, source, currency, conversions, verified_conversions, value)
           values ('old', $1, date_trunc('hour', $2::timestamptz, 'UTC'), $3, $4, $5, $6, 1, 1, $7)`,
          [c.campaign, v.at, c.country, c.segment, c.source, v.currency, v.value],
        );
      }
    } finally {
      await sql.end();
    }
    server = await startTestServer({ db });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('keeps one narrow hourly rollup per campaign, no cross-product table and no row triggers', async () => {
    const cols = async (table: string) =>
      (await server.sql.query('select column_name from information_schema.columns where table_name = $1 order by ordinal_position', [table])).rows.map((r) => r.column_name);
    expect(await cols('click_rollups')).to.deep.equal(['handle', 'campaign_id', 'hour', 'clicks', 'qualified_clicks']);
    expect(await cols('conversion_rollups')).to.not.include('country');
    expect(await cols('funnel_click_hours')).to.deep.equal([]);
    const triggers = await server.sql.query(`select tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where not t.tgisinternal and c.relname in ('click_rollups', 'conversion_rollups', 'clicks', 'conversions')`);
    expect(triggers.rows).to.deep.equal([]);
    const hourly = await server.sql.query('select sum(clicks)::int as clicks, sum(qualified_clicks)::int as qualified from click_rollups where handle = $1', ['old']);
    expect(hourly.rows[0]).to.deep.equal({ clicks: 7, qualified: 6 });
  });

  it('answers the funnel and hour-precise breakdowns as before (handle-wide from the backfilled handle rows, one campaign from raw rows)', async () => {
    const funnel = await get('funnel=true').expect(200);
    expect(funnel.body.data.map((r: Record<string, unknown>) => [r.campaignId, r.clicks, r.qualifiedClicks, r.conversions, r.revenueByCurrency]))
      .to.deep.equal([['c1', 4, 3, 1, { USD: 10 }], ['c2', 3, 3, 1, { EUR: 5 }]]);
    // [10:00, 11:00) ten days ago: the whole-handle hourly rows, and one campaign's raw clicks and conversions.
    const oldHour = [
      { key: 'US', clicks: 2, qualifiedClicks: 1, conversions: 1, revenue: 10, revenueByCurrency: { USD: 10 } },
      { key: 'DE', clicks: 1, qualifiedClicks: 1, conversions: 0, revenue: 0, revenueByCurrency: {} },
    ];
    const hour = `from=${OLD.toISOString()}&to=${at(OLD, 60).toISOString()}`;
    expect((await get(`groupBy=country&${hour}`).expect(200)).body.data).to.deep.equal(oldHour);
    expect((await get(`groupBy=country&campaignId=c1&${hour}`).expect(200)).body.data).to.deep.equal(oldHour);
    expect((await get(`groupBy=country&campaignId=c2&${hour}`).expect(200)).body.data).to.deep.equal([]);
    // From 12:00 ten days ago until now: an edge (FR at 15:05) and whole days.
    const window = await get(`groupBy=source&from=${at(OLD, 120).toISOString()}&to=${new Date().toISOString()}`).expect(200);
    expect(window.body.data).to.deep.equal([
      { key: 'twitter', clicks: 3, qualifiedClicks: 3, conversions: 1, revenue: 0, revenueByCurrency: { EUR: 5 } },
      { key: 'direct', clicks: 1, qualifiedClicks: 1, conversions: 0, revenue: 0, revenueByCurrency: {} },
    ]);
    // The recent hour alone.
    const recent = await get(`groupBy=segment&from=${RECENT.toISOString()}&to=${at(RECENT, 60).toISOString()}`).expect(200);
    expect(recent.body.data).to.deep.equal([{ key: 'mobile', clicks: 3, qualifiedClicks: 3, conversions: 1, revenue: 0, revenueByCurrency: { EUR: 5 } }]);
  });

  it('counts clicks and conversions recorded before 0019 under browser and os "unknown"', async () => {
    const before = await get('groupBy=browser').expect(200);
    expect(before.body.data).to.deep.equal([{ key: 'unknown', clicks: 7, qualifiedClicks: 6, conversions: 2, revenue: 10, revenueByCurrency: { EUR: 5, USD: 10 } }]);
    const os = await get(`groupBy=os&from=${RECENT.toISOString()}`).expect(200);
    expect(os.body.data).to.deep.equal([{ key: 'unknown', clicks: 3, qualifiedClicks: 3, conversions: 1, revenue: 0, revenueByCurrency: { EUR: 5 } }]);
  });

  it('reconciles: rollups, every derived table and raw rows agree after the move and after new traffic', async function () {
    this.timeout(20_000);
    expect((await reconcile(server.sql, 'old')).mismatches).to.deep.equal([]);
    await insertTraffic(server.sql, 'old', [{ campaignId: 'c1', at: new Date(), country: 'NL', conversions: [{ value: 3, currency: 'USD' }] }]);
    const report = await reconcile(server.sql, 'old');
    expect(report.mismatches).to.deep.equal([]);
    expect(report.rollups).to.include({ clicks: 8, qualifiedClicks: 7, conversions: 3 });
  });
});
