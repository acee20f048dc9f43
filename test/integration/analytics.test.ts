import { expect } from 'chai';
import { insertCampaigns, insertTraffic, type ClickSpec } from '../support/analytics-fixtures.ts';
import { partnerHandle } from '../support/partner-traffic.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

// The reporting currency is USD: a row's USD revenue is its `revenue`; other currencies are passed explicitly.
const row = (key: string, clicks: number, qualifiedClicks: number, conversions: number, revenue: number, others: Record<string, number> = {}) => ({
  key, clicks, qualifiedClicks, conversions, revenue, revenueByCurrency: { ...others, ...(revenue ? { USD: revenue } : {}) },
});
const EUR10 = { EUR: 10 };
// Conversion 9 has no value: the rollups count it in the reporting currency with 0, as funnel rows show it.
const USD0 = { USD: 0 };

describe('workflow 3: monitor partner performance in real time', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerHandle>>;
  const get = (query: string) => server.http.get(`/v2/handles/${h.handle}/analytics?${query}`).set(h.auth);

  before(async () => {
    server = await startTestServer();
    h = await partnerHandle(server);
  });
  after(async () => server?.close());

  it('compares partner campaigns side by side (funnel=true), zero-traffic ones included, archived ones left out', async () => {
    const res = await get('funnel=true').expect(200);
    expect(res.body.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-alpha', 'partner-beta', 'partner-gamma']);
    const [alpha, beta, gamma] = res.body.data;
    expect(alpha).to.deep.equal({
      campaignId: 'partner-alpha', partnerId: null, clicks: 7, qualifiedClicks: 6, conversions: 3, verifiedConversions: 3, unauthenticatedConversions: 0,
      revenue: 30, revenueByCurrency: { EUR: 10, USD: 30 }, reversals: 0, netRevenue: 30, netRevenueByCurrency: { EUR: 10, USD: 30 }, conversionRate: 0.5, botRatio: 1 / 7,
      confidence: 80, confidenceReasons: ['stale_data', 'low_volume'], lastClickAt: '2026-02-25T13:00:00.000Z',
    });
    expect(beta).to.deep.equal({
      campaignId: 'partner-beta', partnerId: null, clicks: 3, qualifiedClicks: 2, conversions: 2, verifiedConversions: 2, unauthenticatedConversions: 0,
      revenue: 100, revenueByCurrency: { USD: 100 }, reversals: 0, netRevenue: 100, netRevenueByCurrency: { USD: 100 }, conversionRate: 1, botRatio: 1 / 3,
      confidence: 65, confidenceReasons: ['bot_ratio_20_40', 'stale_data', 'low_volume'], lastClickAt: '2026-02-25T01:00:00.000Z',
    });
    expect(gamma).to.deep.equal({
      campaignId: 'partner-gamma', partnerId: null, clicks: 0, qualifiedClicks: 0, conversions: 0, verifiedConversions: 0, unauthenticatedConversions: 0,
      revenue: 0, revenueByCurrency: {}, reversals: 0, netRevenue: 0, netRevenueByCurrency: {}, conversionRate: 0, botRatio: 0,
      confidence: 90, confidenceReasons: ['low_volume'], lastClickAt: null,
    });
    // Totals are scored over the sums: 2 bots in 10 clicks is exactly 20%, already "some bot noise".
    expect(res.body.totals).to.deep.equal({
      clicks: 10, qualifiedClicks: 8, conversions: 5, verifiedConversions: 5, unauthenticatedConversions: 0,
      revenue: 130, revenueByCurrency: { EUR: 10, USD: 130 }, reversals: 0, netRevenue: 130, netRevenueByCurrency: { EUR: 10, USD: 130 }, conversionRate: 0.625, botRatio: 0.2,
      confidence: 65, confidenceReasons: ['bot_ratio_20_40', 'stale_data', 'low_volume'], lastClickAt: '2026-02-25T13:00:00.000Z',
    });
  });

  it('filters to one partner, archived or not, and answers 404 for an unknown campaign', async () => {
    const alpha = await get('funnel=true&campaignId=partner-alpha').expect(200);
    expect(alpha.body.data).to.have.length(1);
    expect(alpha.body.totals).to.include({ clicks: 7, conversions: 3, revenue: 30 });
    const retired = await get('funnel=true&campaignId=partner-retired').expect(200);
    expect(retired.body.data[0]).to.include({ campaignId: 'partner-retired', clicks: 1 });
    const all = await get('funnel=true&includeArchived=true').expect(200);
    expect(all.body.data).to.have.length(4);
    expect(all.body.totals.clicks).to.equal(11);
    const missing = await get('funnel=true&campaignId=partner-nope').expect(404);
    expect(missing.body.error.code).to.equal('not_found');
  });

  it('asks the caller to choose funnel=true or groupBy, and validates the rest of the query', async () => {
    const none = await get('').expect(400);
    expect(none.body.error.message).to.match(/funnel=true.*groupBy/);
    expect((await get('funnel=true&groupBy=country').expect(400)).body.error.details[0].pointer).to.equal('/query/groupBy');
    expect((await get('groupBy=planet').expect(400)).body.error.details[0].pointer).to.equal('/query/groupBy');
    expect((await get('funnel=true&from=yesterday').expect(400)).body.error.details[0].pointer).to.equal('/query/from');
    expect((await get('funnel=true&from=2026-02-25T00:00:00Z&to=2026-02-24T00:00:00Z').expect(400)).body.error.details[0].pointer).to.equal('/query/from');
    expect((await get('funnel=true&campaignId=Bad%20Id').expect(400)).body.error.details[0].pointer).to.equal('/query/campaignId');
  });

  it('breaks a handle down by country, segment, referrer and source (hand-computed)', async () => {
    expect((await get('groupBy=country').expect(200)).body.data).to.deep.equal([
      row('US', 6, 6, 3, 124.99), row('DE', 2, 2, 2, 5.01, EUR10), row('FR', 1, 0, 0, 0), row('GB', 1, 0, 0, 0),
    ]);
    expect((await get('groupBy=segment').expect(200)).body.data).to.deep.equal([
      row('desktop', 5, 5, 3, 30), row('mobile', 3, 3, 2, 100, EUR10), row('bot', 1, 0, 0, 0), row('tablet', 1, 0, 0, 0),
    ]);
    const byChannel = [row('direct', 4, 3, 1, 0, USD0), row('email', 2, 2, 2, 5.01, EUR10), row('instagram', 2, 1, 1, 100), row('twitter', 2, 2, 1, 24.99)];
    expect((await get('groupBy=referrer').expect(200)).body.data).to.deep.equal(byChannel);
    expect((await get('groupBy=source').expect(200)).body.data).to.deep.equal(byChannel);
  });

  it('keeps every currency in a breakdown: EUR conversions in a USD handle show in groupBy=country (issue 16)', async () => {
    const de = (await get('groupBy=country').expect(200)).body.data.find((r: { key: string }) => r.key === 'DE');
    // Conversion 3 (10 EUR) and 6 (5.01 USD): revenue stays in the reporting currency, EUR is beside it, never converted.
    expect(de).to.deep.include({ conversions: 2, revenue: 5.01, revenueByCurrency: { EUR: 10, USD: 5.01 } });
  });

  it("breaks one partner down: its channels (groupBy=referrer) and where its bots sit (groupBy=segment)", async () => {
    expect((await get('groupBy=referrer&campaignId=partner-alpha').expect(200)).body.data).to.deep.equal([
      row('direct', 3, 2, 0, 0), row('email', 2, 2, 2, 5.01, EUR10), row('twitter', 2, 2, 1, 24.99),
    ]);
    expect((await get('groupBy=segment&campaignId=partner-beta').expect(200)).body.data).to.deep.equal([
      row('desktop', 1, 1, 1, 0, USD0), row('mobile', 1, 1, 1, 100), row('tablet', 1, 0, 0, 0),
    ]);
    expect((await get('groupBy=country&campaignId=partner-nope').expect(404)).body.error.code).to.equal('not_found');
  });

  it('breaks down by UTC day (conversions by the day they were recorded) and by campaign', async () => {
    expect((await get('groupBy=day').expect(200)).body.data).to.deep.equal([
      row('2026-02-23', 1, 1, 0, 0), row('2026-02-24', 4, 4, 2, 24.99, EUR10), row('2026-02-25', 5, 3, 3, 105.01),
    ]);
    expect((await get('groupBy=campaign').expect(200)).body.data).to.deep.equal([
      row('partner-alpha', 7, 6, 3, 30, EUR10), row('partner-beta', 3, 2, 2, 100),
    ]);
    expect((await get('groupBy=campaign&includeArchived=true').expect(200)).body.data).to.have.length(3);
  });

  it('takes from/to as exact instants: [10:30, 11:00) holds click 2 (10:40), not click 1 (10:15) nor its conversion (10:20)', async () => {
    const res = await get('funnel=true&from=2026-02-24T10:30:00Z&to=2026-02-24T11:00:00Z').expect(200);
    expect(res.body.totals).to.include({ clicks: 1, qualifiedClicks: 1, conversions: 0, revenue: 0 });
    expect(res.body.data[0]).to.include({ campaignId: 'partner-alpha', clicks: 1 });
    expect((await get('groupBy=segment&from=2026-02-24T10:30:00Z&to=2026-02-24T11:00:00Z').expect(200)).body.data).to.deep.equal([row('mobile', 1, 1, 0, 0)]);
    // Successive windows split the hour: each click and conversion counts once, in the window it happened in.
    const first = await get('funnel=true&from=2026-02-24T10:00:00Z&to=2026-02-24T10:30:00Z').expect(200);
    expect(first.body.totals).to.include({ clicks: 1, conversions: 1, revenue: 24.99 });
    const whole = await get('funnel=true&from=2026-02-24T10:00:00Z&to=2026-02-24T11:00:00Z').expect(200);
    expect(whole.body.totals).to.include({ clicks: 2, conversions: 1, revenue: 24.99 });
    // A window inside one minute of a click: only that click (to the millisecond, `to` exclusive).
    const minute = await get('funnel=true&from=2026-02-24T10:40:00.000Z&to=2026-02-24T10:40:00.001Z').expect(200);
    expect(minute.body.totals).to.include({ clicks: 1 });
    expect((await get('funnel=true&from=2026-02-24T10:39:00Z&to=2026-02-24T10:40:00Z').expect(200)).body.totals).to.include({ clicks: 0 });
  });

  it('combines whole days and edge hours in a multi-day window', async () => {
    const q = 'from=2026-02-23T12:00:00Z&to=2026-02-25T10:00:00Z';
    const res = await get(`funnel=true&${q}`).expect(200);
    const [alpha, beta] = res.body.data;
    expect(alpha).to.include({ clicks: 5, qualifiedClicks: 4, conversions: 2, revenue: 24.99 });
    expect(alpha.revenueByCurrency).to.deep.equal({ EUR: 10, USD: 24.99 });
    expect(beta).to.include({ clicks: 3, qualifiedClicks: 2, conversions: 2, revenue: 100 });
    expect((await get(`groupBy=day&${q}`).expect(200)).body.data).to.deep.equal([
      row('2026-02-24', 4, 4, 2, 24.99, EUR10), row('2026-02-25', 4, 2, 2, 100),
    ]);
    expect((await get(`groupBy=country&${q}`).expect(200)).body.data).to.deep.equal([
      row('US', 5, 5, 3, 124.99), row('DE', 1, 1, 1, 0, EUR10), row('FR', 1, 0, 0, 0), row('GB', 1, 0, 0, 0),
    ]);
  });

  it('takes open-ended windows (only from, only to)', async () => {
    const since = await get('funnel=true&from=2026-02-25T00:00:00Z').expect(200);
    expect(since.body.data[0]).to.include({ clicks: 3, qualifiedClicks: 2, conversions: 1, revenue: 5.01 });
    expect(since.body.data[1]).to.include({ clicks: 2, qualifiedClicks: 1, conversions: 2, revenue: 100 });
    const until = await get('funnel=true&to=2026-02-24T00:00:00Z').expect(200);
    expect(until.body.totals).to.include({ clicks: 1, conversions: 0 });
  });

  it("keeps tenants apart: another handle's token gets 404, a token without analytics.read gets 403", async () => {
    const other = await createHandle(server);
    for (const path of ['analytics?funnel=true', 'analytics?groupBy=country', 'analytics/export?format=csv']) {
      const res = await server.http.get(`/v2/handles/${h.handle}/${path}`).set(other.auth).expect(404);
      expect(res.body.error.code).to.equal('not_found');
    }
    const mine = await server.http.get(`/v2/handles/${other.handle}/analytics?funnel=true`).set(other.auth).expect(200);
    expect(mine.body.data).to.deep.equal([]);
    expect(mine.body.totals.clicks).to.equal(0);
    const campaignsOnly = await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
    await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(campaignsOnly.auth).expect(403);
    const reader = await createToken(server, h.handle, h.ownerToken, ['analytics.read']);
    await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(reader.auth).expect(200);
  });

  it('documents the analytics routes in the OpenAPI document', async () => {
    const spec = (await server.http.get('/v2/openapi.json').expect(200)).body;
    const op = spec.paths['/v2/handles/{handle}/analytics'].get;
    expect(op['x-scope']).to.equal('analytics.read');
    const groupBy = op.parameters.find((p: { name: string }) => p.name === 'groupBy');
    expect(groupBy.schema.description).to.match(/referrer.*source channel/);
    expect(spec.paths['/v2/handles/{handle}/analytics/export'].get).to.be.an('object');
    expect(spec.paths['/v2/handles/{handle}/analytics/stream'].get).to.be.an('object');
  });
});

describe('workflow 4: detect and filter bot traffic', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;

  /** Recent clicks, the first `bots` of them flagged; `conversions` on the first non-bot clicks. */
  function traffic(campaignId: string, clicks: number, bots: number, conversions = 0): ClickSpec[] {
    const now = Date.now();
    return Array.from({ length: clicks }, (_, i) => ({
      campaignId,
      at: new Date(now - (i + 1) * 60_000),
      isBot: i < bots,
      conversions: i >= bots && i < bots + conversions ? [{ value: 10, currency: 'USD' }] : [],
    }));
  }

  before(async () => {
    server = await startTestServer();
    h = await createHandle(server);
    const ids = ['bots-19-99', 'bots-20', 'bots-40', 'bots-40-01', 'fraud', 'stale'];
    await insertCampaigns(server.sql, h.handle, ids);
    await insertTraffic(server.sql, h.handle, [
      ...traffic('bots-19-99', 10_000, 1_999, 5), // 19.99%: normal traffic
      ...traffic('bots-20', 100, 20, 5),
      ...traffic('bots-40', 100, 40, 5),
      ...traffic('bots-40-01', 10_000, 4_001, 5), // 40.01%: likely fraudulent
      // 12 bots in 20 clicks, and 10 conversions replayed on bot clicks against 8 qualified ones.
      ...traffic('fraud', 20, 12).map((c, i) => ({ ...c, conversions: i < 10 ? [{ value: 1, currency: 'USD' }] : [] })),
      ...traffic('stale', 40, 0, 1).map((c, i) => ({ ...c, at: new Date(Date.now() - 8 * 86_400_000 - i * 60_000) })),
    ]);
  });
  after(async () => server?.close());

  it('reproduces the seed table: < 20% no penalty, 20–40% −15, > 40% −30', async () => {
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(h.auth).expect(200);
    const by = Object.fromEntries(res.body.data.map((r: { campaignId: string }) => [r.campaignId, r]));
    expect(by['bots-19-99']).to.include({ botRatio: 0.1999, confidence: 100 });
    expect(by['bots-19-99'].confidenceReasons).to.deep.equal([]);
    expect(by['bots-20']).to.include({ botRatio: 0.2, confidence: 85 });
    expect(by['bots-20'].confidenceReasons).to.deep.equal(['bot_ratio_20_40']);
    expect(by['bots-40']).to.include({ botRatio: 0.4, confidence: 85 });
    expect(by['bots-40-01']).to.include({ botRatio: 0.4001, confidence: 70 });
    expect(by['bots-40-01'].confidenceReasons).to.deep.equal(['bot_ratio_over_40']);
    expect(by['bots-40-01'].qualifiedClicks).to.equal(5_999);
  });

  it('flags a campaign below 50 with every reason, and stale data on a quiet active partner', async () => {
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true&campaignId=fraud`).set(h.auth).expect(200);
    expect(res.body.data[0]).to.include({ clicks: 20, qualifiedClicks: 8, conversions: 10, verifiedConversions: 0, botRatio: 0.6 });
    expect(res.body.data[0].confidence).to.equal(35).and.to.be.below(50);
    expect(res.body.data[0].confidenceReasons).to.deep.equal(['bot_ratio_over_40', 'conversions_exceed_qualified_clicks', 'low_volume']);
    const stale = await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true&campaignId=stale`).set(h.auth).expect(200);
    expect(stale.body.data[0]).to.include({ confidence: 90, clicks: 40 });
    expect(stale.body.data[0].confidenceReasons).to.deep.equal(['stale_data']);
  });
});
