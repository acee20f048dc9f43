import { expect } from 'chai';
import { reconcile } from '../../core/analytics/reconcile.ts';
import { CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { CHROME, GOOGLEBOT, person, trustLocalProxy, waitFor } from '../support/redirect.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

// End to end: real short-link redirects and public conversions, seen by analytics within 2 s.
describe('workflows 1–4 end to end: redirects and conversions show in the funnel within 2 s', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: trustLocalProxy });
  });
  after(async () => server?.close());

  it('counts real clicks (bots apart) and conversions in the funnel, the breakdowns and the live stream', async () => {
    const { handle, auth, campaignId, slug } = await partnerCampaign(server);
    const stream = await SseClient.open(`${server.url}/v2/handles/${handle}/analytics/stream`, auth);
    await stream.until(() => stream.events[0], 2000, 'the snapshot');
    const visit = async (headers: Record<string, string>, query = '') => {
      const res = await server.http.get(`/${handle}/${slug}${query}`).set(headers).redirects(0).expect(302);
      return new URL(res.headers.location).searchParams.get('ctx')!;
    };
    const email = await visit(person(CHROME), '?src=email');
    const twitter = await visit(person(CHROME, { referer: 'https://t.co/x' }));
    await visit(person(CHROME), '?src=email');
    await visit(person(CHROME, { 'cf-ipcountry': 'DE' }));
    await visit(person(GOOGLEBOT));
    await server.http.post(CONVERSIONS).send({ ctx: email, eventType: 'affiliate_click', value: 24.99, currency: 'USD', idempotencyKey: 'order-1' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: twitter, eventType: 'affiliate_click', value: 10, currency: 'EUR', idempotencyKey: 'order-2' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: twitter, eventType: 'affiliate_click', value: 10, currency: 'EUR', idempotencyKey: 'order-2' }).expect(200);
    const wrote = Date.now();

    const funnel = await waitFor('clicks and conversions in the funnel', async () => {
      const res = await server.http.get(`/v2/handles/${handle}/analytics?funnel=true`).set(auth).expect(200);
      const row = res.body.data[0];
      return row.clicks === 5 && row.conversions === 2 && res.body;
    }, 2000, 50);
    expect(Date.now() - wrote).to.be.below(2000);
    const { rows } = await server.sql.query('select count(*) filter (where is_bot)::int as bots from clicks where handle = $1', [handle]);
    expect(rows[0].bots).to.be.at.least(1); // Googlebot, at least
    expect(funnel.data[0]).to.include({ campaignId, clicks: 5, qualifiedClicks: 5 - rows[0].bots, conversions: 2, verifiedConversions: 2, revenue: 24.99 });
    expect(funnel.data[0].revenueByCurrency).to.deep.equal({ EUR: 10, USD: 24.99 });
    expect(funnel.data[0].lastClickAt).to.be.a('string');

    const referrers = (await server.http.get(`/v2/handles/${handle}/analytics?groupBy=referrer&campaignId=${campaignId}`).set(auth).expect(200)).body.data;
    expect(referrers.find((r: { key: string }) => r.key === 'email')).to.deep.equal({ key: 'email', clicks: 2, qualifiedClicks: 2, conversions: 1, revenue: 24.99, revenueByCurrency: { USD: 24.99 } });
    expect(referrers.find((r: { key: string }) => r.key === 'twitter')).to.include({ clicks: 1, conversions: 1, revenue: 0 });
    const countries = (await server.http.get(`/v2/handles/${handle}/analytics?groupBy=country`).set(auth).expect(200)).body.data;
    expect(countries.find((r: { key: string }) => r.key === 'DE')).to.include({ clicks: 1 });

    // The live stream saw the same row (the writers publish nothing: the poll fallback found it).
    const pushed = await stream.until(() => {
      const last = stream.events.at(-1)!;
      const row = last.event === 'funnel' && last.data.data.find((r: { campaignId: string }) => r.campaignId === campaignId);
      return row && row.clicks === 5 && row.conversions === 2 && row;
    }, 2500, 'the pushed row');
    expect(pushed).to.include({ revenue: 24.99, qualifiedClicks: 5 - rows[0].bots });
    stream.close();

    const report = await reconcile(server.sql, handle);
    expect(report.mismatches).to.deep.equal([]);
    expect(report.export.rows).to.equal(5);
  });
});
