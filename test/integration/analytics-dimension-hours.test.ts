import { expect } from 'chai';
import type { DimensionHoursPurge } from '../../core/analytics/dimension-hours-purge.ts';
import { insertCampaigns, insertTraffic } from '../support/analytics-fixtures.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

const HOUR = 3_600_000;

// Hourly per-dimension rollups cover the last days only; older edge hours come from raw clicks.
describe('analytics: hourly dimension rollups for recent hours, raw clicks before, purged daily', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  const hourAgo = (n: number) => new Date(Math.floor(Date.now() / HOUR) * HOUR - n * HOUR);
  const purge = () => server.kernel.container.resolve<DimensionHoursPurge>('dimensionHoursPurge');
  const count = async (where: string) =>
    (await server.sql.query(`select count(*)::int as n from analytics_dimension_hours where handle = $1 and ${where}`, [h.handle])).rows[0].n;

  before(async () => {
    server = await startTestServer();
    h = await createHandle(server);
    await insertCampaigns(server.sql, h.handle, ['c1']);
    await insertTraffic(server.sql, h.handle, [
      { campaignId: 'c1', at: new Date(hourAgo(100).getTime() + 60_000), country: 'US' },
      { campaignId: 'c1', at: new Date(hourAgo(100).getTime() + 120_000), country: 'DE', conversions: [{ value: 4, currency: 'USD' }] },
      { campaignId: 'c1', at: new Date(hourAgo(1).getTime() + 60_000), country: 'FR' },
    ]);
  });
  after(async () => server?.close());

  it('writes hourly dimension rows only for recent hours (five dimensions per hour)', async () => {
    expect(await count(`hour = '${hourAgo(1).toISOString()}'`)).to.equal(5);
    expect(await count(`hour = '${hourAgo(100).toISOString()}'`)).to.equal(0);
  });

  it('answers an old edge hour from raw clicks, whatever stale hourly rows say, and the purge deletes them', async () => {
    // A row left from when this hour was recent, with numbers no click backs: readers must not use it.
    await server.sql.query(
      `insert into analytics_dimension_hours (handle, dimension, campaign_id, hour, key, clicks, qualified_clicks) values ($1, 'country', 'c1', $2, 'XX', 99, 99)`,
      [h.handle, hourAgo(100)],
    );
    const window = `from=${hourAgo(100).toISOString()}&to=${hourAgo(99).toISOString()}`;
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=country&${window}`).set(h.auth).expect(200);
    expect(res.body.data).to.deep.equal([
      { key: 'DE', clicks: 1, qualifiedClicks: 1, conversions: 1, revenue: 4, revenueByCurrency: { USD: 4 } },
      { key: 'US', clicks: 1, qualifiedClicks: 1, conversions: 0, revenue: 0, revenueByCurrency: {} },
    ]);
    expect(await purge().purgeExpired()).to.equal(1);
    expect(await count('true')).to.equal(5); // the recent hour's rows stay
    const recent = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=country&from=${hourAgo(1).toISOString()}`).set(h.auth).expect(200);
    expect(recent.body.data.map((r: { key: string; clicks: number }) => [r.key, r.clicks])).to.deep.equal([['FR', 1]]);
  });
});
