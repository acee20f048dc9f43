import { expect } from 'chai';
import { insertCampaigns, insertTraffic } from '../support/analytics-fixtures.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// Handle-wide breakdowns read whole-handle rollups minus what ARCHIVED campaigns put there; a campaign's
// or a partner's edge hours are raw rows.
describe('analytics: whole-handle dimension rollups, archived campaigns and edge hours', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  const H = '2026-03-10T10:00:00.000Z';
  const hour = `from=${H}&to=2026-03-10T11:00:00.000Z`;
  const countries = async (query: string) =>
    (await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=country&${query}`).set(h.auth).expect(200)).body.data
      .map((r: { key: string; clicks: number; conversions: number }) => [r.key, r.clicks, r.conversions]);

  before(async () => {
    server = await startTestServer();
    h = await createHandle(server);
    await insertCampaigns(server.sql, h.handle, ['live', { campaignId: 'gone', status: 'ARCHIVED' }]);
    await insertTraffic(server.sql, h.handle, [
      { campaignId: 'live', at: '2026-03-10T10:05:00Z', country: 'US' },
      { campaignId: 'gone', at: '2026-03-10T10:10:00Z', country: 'US', conversions: [{ value: 3, currency: 'USD' }] },
      { campaignId: 'gone', at: '2026-03-10T10:20:00Z', country: 'DE' },
      { campaignId: 'live', at: '2026-03-11T09:00:00Z', country: 'FR', conversions: [{ value: 2, currency: 'USD' }] },
    ]);
  });
  after(async () => server?.close());

  it('leaves archived campaigns out of handle-wide breakdowns, and a key only they had is no row', async () => {
    expect(await countries(hour)).to.deep.equal([['US', 1, 0]]);
    expect(await countries('')).to.deep.equal([['FR', 1, 1], ['US', 1, 0]]);
    expect(await countries(`from=${H}`)).to.deep.equal([['FR', 1, 1], ['US', 1, 0]]);
  });

  it('counts them with includeArchived, and for the archived campaign asked for by id', async () => {
    expect(await countries(`includeArchived=true&${hour}`)).to.deep.equal([['US', 2, 1], ['DE', 1, 0]]);
    expect(await countries('includeArchived=true')).to.deep.equal([['US', 2, 1], ['DE', 1, 0], ['FR', 1, 1]]);
    expect(await countries(`campaignId=gone&${hour}`)).to.deep.equal([['DE', 1, 0], ['US', 1, 1]]);
    expect(await countries('campaignId=live&from=2026-03-10T11:00:00Z&to=2026-03-11T09:30:00Z')).to.deep.equal([['FR', 1, 1]]);
  });
});
