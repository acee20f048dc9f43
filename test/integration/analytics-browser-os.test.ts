import { expect } from 'chai';
import { reconcile } from '../../core/analytics/reconcile.ts';
import { CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { CHROME, followed, GOOGLEBOT, person, SAFARI_IPHONE, storedClicks } from '../support/redirect.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Row = { key: string; clicks: number; qualifiedClicks: number; conversions: number; revenue: number; revenueByCurrency: Record<string, number> };
const row = (key: string, clicks: number, qualifiedClicks: number, conversions = 0, usd = 0): Row => ({
  key, clicks, qualifiedClicks, conversions, revenue: usd, revenueByCurrency: conversions ? { USD: usd } : {},
});

// Issue 16: breakdowns by browser and OS, read from the click's User-Agent once per distinct UA.
describe('analytics: groupBy=browser and groupBy=os (handle and partner realm)', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  let anna: Awaited<ReturnType<typeof partnerToken>>;
  const get = (query: string) => server.http.get(`/v2/handles/${h.handle}/analytics?${query}`).set(h.auth);

  before(async function () {
    this.timeout(30_000);
    server = await startTestServer();
    h = await partnerCampaign(server); // partner-alpha (deal-alpha), no partner
    await createPartner(server, h, 'anna');
    // Anna's campaign from its creation on: all its clicks are hers.
    await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send({
      campaignId: 'anna-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'anna',
      primaryLink: { slug: 'anna-deal', destinationUrl: 'https://merchant.example.com/product?ref=anna', title: 'Anna' },
    }).expect(201);
    anna = await partnerToken(server, h, 'anna');
    const click = async (slug: string, ua: string) => {
      const location = (await server.http.get(`/${h.handle}/${slug}`).set(person(ua)).expect(302)).headers.location;
      followed(location); // a ctx that verifies
      return { ctx: new URL(location).searchParams.get('ctx')! };
    };
    const chrome = await click('deal-alpha', CHROME);
    await click('deal-alpha', CHROME);
    await click('deal-alpha', GOOGLEBOT);
    await click('anna-deal', SAFARI_IPHONE);
    const annaChrome = await click('anna-deal', CHROME);
    await storedClicks(server, h.handle, 5);
    // One conversion on a Chrome click of each campaign.
    await server.http.post(CONVERSIONS).send({ ctx: chrome.ctx, eventType: 'affiliate_click', value: 20, currency: 'USD', idempotencyKey: 'bo-1' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: annaChrome.ctx, eventType: 'affiliate_click', value: 7.5, currency: 'USD', idempotencyKey: 'bo-2' }).expect(201);
  });
  after(async () => server?.close());

  it('stores browser and os on the click and the conversion rows, from the user agent', async () => {
    const clicks = await server.sql.query('select campaign_id, browser, os, is_bot from clicks where handle = $1 order by campaign_id, browser, os', [h.handle]);
    expect(clicks.rows.map((r) => [r.campaign_id, r.browser, r.os, r.is_bot])).to.deep.equal([
      ['anna-deal', 'chrome', 'windows', false], ['anna-deal', 'mobile safari', 'ios', false],
      ['partner-alpha', 'chrome', 'windows', false], ['partner-alpha', 'chrome', 'windows', false], ['partner-alpha', 'unknown', 'unknown', true],
    ]);
    const convs = await server.sql.query('select browser, os from conversions where handle = $1', [h.handle]);
    expect(convs.rows).to.deep.equal([{ browser: 'chrome', os: 'windows' }, { browser: 'chrome', os: 'windows' }]);
  });

  it('breaks the handle down by browser and by os, all time and over an hour-precise window', async () => {
    const browsers = await get('groupBy=browser').expect(200);
    expect(browsers.body.data).to.deep.equal([row('chrome', 3, 3, 2, 27.5), row('mobile safari', 1, 1), row('unknown', 1, 0)]);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const os = await get(`groupBy=os&from=${from}`).expect(200);
    expect(os.body.data).to.deep.equal([row('windows', 3, 3, 2, 27.5), row('ios', 1, 1), row('unknown', 1, 0)]);
    const one = await get('groupBy=os&campaignId=partner-alpha').expect(200);
    expect(one.body.data).to.deep.equal([row('windows', 2, 2, 1, 20), row('unknown', 1, 0)]);
    const filtered = await get('groupBy=browser&partnerId=anna').expect(200);
    expect(filtered.body.data).to.deep.equal([row('chrome', 1, 1, 1, 7.5), row('mobile safari', 1, 1)]);
  });

  it("gives a partner its own clicks' browsers and systems only", async () => {
    const browsers = await server.http.get(`/v2/handles/${h.handle}/partner/analytics?groupBy=browser`).set(anna.auth).expect(200);
    expect(browsers.body.data).to.deep.equal([row('chrome', 1, 1, 1, 7.5), row('mobile safari', 1, 1)]);
    const os = await server.http.get(`/v2/handles/${h.handle}/partner/analytics?groupBy=os&from=${new Date(Date.now() - 7_200_000).toISOString()}`).set(anna.auth).expect(200);
    expect(os.body.data.map((r: Row) => [r.key, r.clicks])).to.deep.equal([['ios', 1], ['windows', 1]]); // ties by key
  });

  it('reconciles the browser and os rollups with the raw rows', async () => {
    const report = await reconcile(server.sql, h.handle);
    expect(report.mismatches).to.deep.equal([]);
    expect(report.rollups).to.include({ clicks: 5, qualifiedClicks: 4, conversions: 2 });
  });
});
