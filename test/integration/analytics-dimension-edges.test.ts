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

// An edge that is most of its day is read as the day's rollup row minus the raw clicks of the rest of
// that day (core/analytics/range.ts): the answers must be those of the raw clicks inside the window.
describe('analytics: a campaign\'s edge hours that are most of their day', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  const by = async (dimension: string, query: string) =>
    (await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=${dimension}&campaignId=c1&${query}`).set(h.auth).expect(200)).body.data
      .map((r: { key: string; clicks: number; qualifiedClicks: number }) => [r.key, r.clicks, r.qualifiedClicks]);

  before(async () => {
    server = await startTestServer();
    h = await createHandle(server);
    await insertCampaigns(server.sql, h.handle, ['c1', 'c2']);
    await insertTraffic(server.sql, h.handle, [
      { campaignId: 'c1', at: '2026-03-10T01:30:00Z', country: 'US', segment: 'mobile' },
      { campaignId: 'c1', at: '2026-03-10T03:00:00Z', country: 'US', segment: 'desktop' },
      { campaignId: 'c1', at: '2026-03-10T12:00:00Z', country: 'DE', segment: 'desktop', isBot: true },
      { campaignId: 'c1', at: '2026-03-10T23:30:00Z', country: 'FR', segment: 'mobile' },
      { campaignId: 'c2', at: '2026-03-10T12:00:00Z', country: 'DE', segment: 'desktop' },
      { campaignId: 'c1', at: '2026-03-11T00:10:00Z', country: 'DE', segment: 'mobile' },
      { campaignId: 'c1', at: '2026-03-11T19:59:00Z', country: 'US', segment: 'mobile' },
      { campaignId: 'c1', at: '2026-03-11T20:00:00Z', country: 'GB', segment: 'desktop' },
    ]);
  });
  after(async () => server?.close());

  it('counts exactly the clicks inside the window, at either edge and within one day', async () => {
    // 02:00 → end of day: 22 hours of the first day (day row minus 00:00–02:00), then the whole second day.
    expect(await by('country', 'from=2026-03-10T02:00:00Z')).to.deep.equal([['DE', 2, 1], ['US', 2, 2], ['FR', 1, 1], ['GB', 1, 1]]);
    // Start of the second day → 20:00: the day row minus 20:00–24:00 (GB at 20:00 is out).
    expect(await by('country', 'from=2026-03-11T00:00:00Z&to=2026-03-11T20:00:00Z')).to.deep.equal([['DE', 1, 1], ['US', 1, 1]]);
    // 02:00 → 23:00 of one day: the day row minus both ends.
    expect(await by('segment', 'from=2026-03-10T02:00:00Z&to=2026-03-10T23:00:00Z')).to.deep.equal([['desktop', 2, 1]]);
    // Short edges are still read raw: 23:00 of the first day → 01:00 of the second.
    expect(await by('country', 'from=2026-03-10T23:00:00Z&to=2026-03-11T01:00:00Z')).to.deep.equal([['DE', 1, 1], ['FR', 1, 1]]);
  });
});
