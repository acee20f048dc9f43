import { expect } from 'chai';
import { insertCampaigns, insertTraffic } from '../support/analytics-fixtures.ts';
import { partnerHandle } from '../support/partner-traffic.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// groupBy=hour (issue 16, the dashboard's last-24-hours view): per-UTC-hour rows from the hourly
// funnel rollups, for a window of at most 31 days. Expectations are computed by hand from
// PARTNER_TRAFFIC (test/support/partner-traffic.ts); the reporting currency is USD.

type Row = { key: string; clicks: number; qualifiedClicks: number; conversions: number; revenue: number; revenueByCurrency: Record<string, number> };
const row = (key: string, clicks: number, qualifiedClicks: number, conversions: number, revenue: number, byCurrency: Record<string, number> = {}): Row => ({
  key, clicks, qualifiedClicks, conversions, revenue, revenueByCurrency: byCurrency,
});
const DAY = 86_400_000;

describe('analytics: groupBy=hour', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerHandle>>;
  const get = (query: string) => server.http.get(`/v2/handles/${h.handle}/analytics?${query}`).set(h.auth);
  const TWO_DAYS = 'from=2026-02-24T00:00:00Z&to=2026-02-26T00:00:00Z';

  before(async () => {
    server = await startTestServer();
    h = await partnerHandle(server);
  });
  after(async () => server?.close());

  it('answers one row per UTC hour with traffic, chronological, every currency kept (hand-computed)', async () => {
    const res = await get(`groupBy=hour&${TWO_DAYS}`).expect(200);
    expect(res.body.data).to.deep.equal([
      row('2026-02-24T10:00:00Z', 2, 2, 1, 24.99, { USD: 24.99 }),
      row('2026-02-24T11:00:00Z', 1, 1, 1, 0, { EUR: 10 }),
      // Click 7 at 23:59, its conversion recorded at 00:04 the next day: each counts in its own hour.
      row('2026-02-24T23:00:00Z', 1, 1, 0, 0),
      row('2026-02-25T00:00:00Z', 1, 0, 1, 100, { USD: 100 }),
      row('2026-02-25T01:00:00Z', 1, 1, 1, 0, { USD: 0 }),
      row('2026-02-25T09:00:00Z', 2, 1, 0, 0),
      row('2026-02-25T13:00:00Z', 1, 1, 1, 5.01, { USD: 5.01 }),
    ]);
  });

  it('adds up to groupBy=day over the same window', async () => {
    const [hours, days] = await Promise.all([get(`groupBy=hour&${TWO_DAYS}`).expect(200), get(`groupBy=day&${TWO_DAYS}`).expect(200)]);
    const summed = new Map<string, Row>();
    for (const r of hours.body.data as Row[]) {
      const day = r.key.slice(0, 10);
      const s = summed.get(day) ?? row(day, 0, 0, 0, 0);
      s.clicks += r.clicks;
      s.qualifiedClicks += r.qualifiedClicks;
      s.conversions += r.conversions;
      s.revenue = Math.round((s.revenue + r.revenue) * 100) / 100;
      for (const [c, v] of Object.entries(r.revenueByCurrency)) s.revenueByCurrency[c] = Math.round(((s.revenueByCurrency[c] ?? 0) + v) * 100) / 100;
      summed.set(day, s);
    }
    expect([...summed.values()]).to.deep.equal(days.body.data);
  });

  it('takes the window to the instant and filters by campaign', async () => {
    // [10:30, 11:30) holds the 10:40 and 11:05 clicks, each in its hour (the 10:15 click is before it).
    const edge = await get('groupBy=hour&from=2026-02-24T10:30:00Z&to=2026-02-24T11:30:00Z').expect(200);
    expect(edge.body.data.map((r: Row) => [r.key, r.clicks])).to.deep.equal([['2026-02-24T10:00:00Z', 1], ['2026-02-24T11:00:00Z', 1]]);
    const to1100 = await get('groupBy=hour&from=2026-02-24T10:00:00Z&to=2026-02-24T11:04:59Z').expect(200);
    expect(to1100.body.data.map((r: Row) => [r.key, r.clicks])).to.deep.equal([['2026-02-24T10:00:00Z', 2]]);
    const beta = await get(`groupBy=hour&campaignId=partner-beta&${TWO_DAYS}`).expect(200);
    expect(beta.body.data.map((r: Row) => r.key)).to.deep.equal(['2026-02-24T23:00:00Z', '2026-02-25T00:00:00Z', '2026-02-25T01:00:00Z']);
    // ARCHIVED campaigns stay out unless asked for: click 11 (12:00) appears with includeArchived.
    const archived = await get(`groupBy=hour&includeArchived=true&${TWO_DAYS}`).expect(200);
    expect(archived.body.data.find((r: Row) => r.key === '2026-02-24T12:00:00Z')).to.include({ clicks: 1 });
  });

  it('caps the span at 31 days: 400 with a pointer without `from` or beyond 31 days, 200 at exactly 31', async () => {
    for (const q of ['groupBy=hour', 'groupBy=hour&to=2026-02-26T00:00:00Z', 'groupBy=hour&from=2026-01-01T00:00:00Z&to=2026-02-01T01:00:00Z', `groupBy=hour&from=${new Date(Date.now() - 32 * DAY).toISOString()}`]) {
      const res = await get(q).expect(400);
      expect(res.body.error.code, q).to.equal('invalid_request');
      expect(res.body.error.message, q).to.include('31 days');
      expect(res.body.error.details[0].pointer, q).to.equal('/query/from');
    }
    const month = await get('groupBy=hour&from=2026-01-26T00:00:00Z&to=2026-02-26T00:00:00Z').expect(200);
    expect(month.body.data).to.have.length(8); // the 7 rows above plus click 10 on 2026-02-23 08:00
    // `to` defaults to now: the last 24 hours (no traffic in this data set) are within the cap.
    const recent = await get(`groupBy=hour&from=${new Date(Date.now() - DAY).toISOString()}`).expect(200);
    expect(recent.body.data).to.deep.equal([]);
    // The other breakdowns keep their unbounded windows.
    await get('groupBy=day').expect(200);
  });

  it("the partner realm answers groupBy=hour over the partner's own campaigns only", async () => {
    const t = await createHandle(server);
    await createPartner(server, t, 'alpha');
    for (const [campaignId, partnerId] of [['alpha-deal', 'alpha'], ['other-deal', undefined]] as const) {
      await server.http.post(`/v2/handles/${t.handle}/campaigns`).set(t.auth).send({
        campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', ...(partnerId && { partnerId }),
        primaryLink: { slug: campaignId, destinationUrl: 'https://merchant.example.com/p' },
      }).expect(201);
    }
    await insertTraffic(server.sql, t.handle, [
      { campaignId: 'alpha-deal', at: '2026-02-24T10:15:00Z', conversions: [{ value: 12, currency: 'EUR' }] },
      { campaignId: 'alpha-deal', at: '2026-02-24T10:20:00Z', isBot: true },
      { campaignId: 'other-deal', at: '2026-02-24T10:25:00Z' },
      { campaignId: 'other-deal', at: '2026-02-24T11:25:00Z' },
    ]);
    const { auth } = await partnerToken(server, t, 'alpha');
    const res = await server.http.get(`/v2/handles/${t.handle}/partner/analytics?groupBy=hour&from=2026-02-24T00:00:00Z&to=2026-02-25T00:00:00Z`).set(auth).expect(200);
    expect(res.body.data).to.deep.equal([row('2026-02-24T10:00:00Z', 2, 1, 1, 0, { EUR: 12 })]);
    const capped = await server.http.get(`/v2/handles/${t.handle}/partner/analytics?groupBy=hour`).set(auth).expect(400);
    expect(capped.body.error.details[0].pointer).to.equal('/query/from');
    const handleView = await server.http.get(`/v2/handles/${t.handle}/analytics?groupBy=hour&from=2026-02-24T00:00:00Z&to=2026-02-25T00:00:00Z`).set(t.auth).expect(200);
    expect(handleView.body.data.map((r: Row) => [r.key, r.clicks])).to.deep.equal([['2026-02-24T10:00:00Z', 3], ['2026-02-24T11:00:00Z', 1]]);
  });

  it('reads conversions per hour from the hourly rollup (groupBy=hour and the edge hours of a funnel window), whatever the raw rows say', async () => {
    const t = await createHandle(server, undefined, { reportingCurrency: 'USD' });
    await insertCampaigns(server.sql, t.handle, ['hours-a', 'hours-b']);
    // Each conversion one minute after its click; the one without a currency counts in USD with value 0.
    const conversions: Array<[string, string, number | null, string | null]> = [
      ['hours-a', '2026-03-09T09:30:00Z', 1, 'USD'],
      ['hours-a', '2026-03-09T10:15:00Z', 10, 'USD'],
      ['hours-b', '2026-03-09T22:40:00Z', 5, 'EUR'],
      ['hours-a', '2026-03-10T12:10:00Z', 7, 'USD'],
      ['hours-a', '2026-03-11T00:30:00Z', null, null],
      ['hours-b', '2026-03-11T12:59:00Z', 3, 'GBP'],
      ['hours-a', '2026-03-11T13:05:00Z', 100, 'USD'],
    ];
    await insertTraffic(server.sql, t.handle, conversions.map(([campaignId, at, value, currency]) => ({
      campaignId, at: new Date(Date.parse(at) - 60_000), conversions: [{ value, currency, at }],
    })));
    const cols = 'campaign_id, hour, currency, conversions, verified_conversions, unauthenticated_conversions, value';
    const hourly = await server.sql.query(`select ${cols} from funnel_conversion_hours where handle = $1 order by 1, 2, 3`, [t.handle]);
    const raw = await server.sql.query(
      `select campaign_id, date_trunc('hour', created_at, 'UTC') as hour, coalesce(currency, 'USD') as currency, count(*)::int as conversions,
              (count(*) filter (where verified))::int as verified_conversions, (count(*) filter (where not authenticated))::int as unauthenticated_conversions,
              coalesce(sum(value), 0)::float as value
         from conversions where handle = $1 group by 1, 2, 3 order by 1, 2, 3`,
      [t.handle],
    );
    expect(hourly.rows).to.have.length(7);
    expect(hourly.rows).to.deep.equal(raw.rows);

    const hours = () => server.http.get(`/v2/handles/${t.handle}/analytics?groupBy=hour&from=2026-03-09T00:00:00Z&to=2026-03-12T00:00:00Z`).set(t.auth).expect(200);
    // [10:00 on the 9th, 13:00 on the 11th): the 10th whole from the day tables, the edges from the hour tables.
    const funnel = () => server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true&from=2026-03-09T10:00:00Z&to=2026-03-11T13:00:00Z`).set(t.auth).expect(200);
    const expectedHours = [
      row('2026-03-09T09:00:00Z', 1, 1, 1, 1, { USD: 1 }),
      row('2026-03-09T10:00:00Z', 1, 1, 1, 10, { USD: 10 }),
      row('2026-03-09T22:00:00Z', 1, 1, 1, 0, { EUR: 5 }),
      row('2026-03-10T12:00:00Z', 1, 1, 1, 7, { USD: 7 }),
      row('2026-03-11T00:00:00Z', 1, 1, 1, 0, { USD: 0 }),
      row('2026-03-11T12:00:00Z', 1, 1, 1, 0, { GBP: 3 }),
      row('2026-03-11T13:00:00Z', 1, 1, 1, 100, { USD: 100 }),
    ];
    const funnelRows = (body: { data: Array<Record<string, unknown>> }) => body.data.map((r) => [r.campaignId, r.clicks, r.conversions, r.revenueByCurrency]);
    const expectedFunnel = [['hours-a', 3, 3, { USD: 17 }], ['hours-b', 2, 2, { EUR: 5, GBP: 3 }]];
    expect((await hours()).body.data).to.deep.equal(expectedHours);
    expect(funnelRows((await funnel()).body)).to.deep.equal(expectedFunnel);
    // Without the raw rows (never deleted in service; here to show where the answers come from) nothing changes.
    await server.sql.query('delete from conversions where handle = $1', [t.handle]);
    expect((await hours()).body.data).to.deep.equal(expectedHours);
    expect(funnelRows((await funnel()).body)).to.deep.equal(expectedFunnel);
  });

  it('documents groupBy=hour in the OpenAPI document, for the handle and the partner realm', async () => {
    const spec = (await server.http.get('/v2/openapi.json').expect(200)).body;
    for (const path of ['/v2/handles/{handle}/analytics', '/v2/handles/{handle}/partner/analytics']) {
      const groupBy = spec.paths[path].get.parameters.find((p: { name: string }) => p.name === 'groupBy');
      expect(groupBy.schema.enum, path).to.include('hour');
      expect(groupBy.schema.description, path).to.include('31 days');
    }
  });
});
