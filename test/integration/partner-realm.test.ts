import { expect } from 'chai';
import { parseCsv } from '../support/csv-parse.ts';
import { insertTraffic } from '../support/analytics-fixtures.ts';
import { partnerHandle } from '../support/partner-traffic.ts';
import { assignPartner, createPartner, holdSinceCreation, partnerToken } from '../support/partners.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

// PARTNER_TRAFFIC: partner-alpha (7 clicks, 1 bot, 3 conversions: USD 24.99 + 5.01, EUR 10) belongs
// to partner "anna", partner-beta (3 clicks, 1 bot, 2 conversions: USD 100) to "bob", partner-gamma
// to nobody, the ARCHIVED partner-retired (1 click) to anna.
describe('partner realm: a partner sees its own campaigns and numbers, and nothing of anyone else', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerHandle>>;
  let anna: Awaited<ReturnType<typeof partnerToken>>;
  let bob: Awaited<ReturnType<typeof partnerToken>>;
  const realm = (path = '') => `/v2/handles/${h.handle}/partner${path}`;
  const streams: SseClient[] = [];

  before(async () => {
    server = await startTestServer({ env: { ANALYTICS_SSE_POLL_MS: '200' } });
    h = await partnerHandle(server);
    await createPartner(server, h, 'anna', { minimumPayout: 20 });
    await createPartner(server, h, 'bob');
    await holdSinceCreation(server, h, 'partner-alpha', 'anna');
    await holdSinceCreation(server, h, 'partner-retired', 'anna');
    await holdSinceCreation(server, h, 'partner-beta', 'bob');
    anna = await partnerToken(server, h, 'anna');
    bob = await partnerToken(server, h, 'bob');
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  after(async () => server?.close());

  it('shows the partner its profile (no balances before commissions) and its campaigns with short links', async () => {
    expect((await server.http.get(realm()).set(anna.auth).expect(200)).body).to.deep.equal({ partnerId: 'anna', name: 'Partner anna', status: 'ACTIVE', balances: [] });
    const mine = await server.http.get(realm('/campaigns')).set(anna.auth).expect(200);
    expect(mine.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['partner-alpha', 'partner-retired']);
    expect(mine.body.data[0]).to.have.keys(['campaignId', 'title', 'status', 'shortUrl']);
    expect(mine.body.data[0].shortUrl).to.match(new RegExp(`/${h.handle}/partner-alpha$`));
    const bobs = await server.http.get(realm('/campaigns?status=ACTIVE')).set(bob.auth).expect(200);
    expect(bobs.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['partner-beta']);
  });

  it('tells a partner token its own scopes and expiry at /partner/token, never its secret nor another token', async () => {
    const writer = await partnerToken(server, h, 'anna', { name: 'tracker', scopes: ['partner.read', 'partner.postbacks.write'] });
    const mine = await server.http.get(realm('/token')).set(writer.auth).expect(200);
    expect(mine.body).to.include({ tokenId: writer.tokenId, partnerId: 'anna', name: 'tracker', expiresAt: null, revokedAt: null });
    expect(mine.body.scopes).to.deep.equal(['partner.read', 'partner.postbacks.write']);
    expect(mine.body).to.not.have.property('token');
    expect(JSON.stringify(mine.body)).to.not.include(writer.token);
    expect((await server.http.get(realm('/token')).set(anna.auth).expect(200)).body).to.include({ tokenId: anna.tokenId, partnerId: 'anna' });
    expect((await server.http.get(realm('/token')).set(bob.auth).expect(200)).body).to.include({ tokenId: bob.tokenId, partnerId: 'bob' });
    // Partner tokens only: a handle token is forbidden on the realm, as everywhere there.
    expect((await server.http.get(realm('/token')).set(h.auth).expect(403)).body.error.code).to.equal('forbidden');
  });

  it("answers the funnel over the partner's own campaigns only, totals included", async () => {
    const res = await server.http.get(realm('/analytics?funnel=true')).set(anna.auth).expect(200);
    expect(res.body.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-alpha']);
    expect(res.body.data[0]).to.include({ partnerId: 'anna', clicks: 7, qualifiedClicks: 6, conversions: 3, revenue: 30 });
    expect(res.body.totals).to.include({ clicks: 7, qualifiedClicks: 6, conversions: 3, revenue: 30 });
    expect(res.body.totals.revenueByCurrency).to.deep.equal({ EUR: 10, USD: 30 });
    const archived = await server.http.get(realm('/analytics?funnel=true&includeArchived=true')).set(anna.auth).expect(200);
    expect(archived.body.totals.clicks).to.equal(8);
    const b = await server.http.get(realm('/analytics?funnel=true')).set(bob.auth).expect(200);
    expect(b.body.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-beta']);
    expect(b.body.totals).to.include({ clicks: 3, conversions: 2, revenue: 100 });
    // Windows work as on the handle: 2026-02-25 alone holds alpha clicks 4, 5, 6.
    const day = await server.http.get(realm('/analytics?funnel=true&from=2026-02-25T00:00:00Z&to=2026-02-26T00:00:00Z')).set(anna.auth).expect(200);
    expect(day.body.totals.clicks).to.equal(3);
  });

  it("breaks down only the partner's clicks, and refuses groupBy=partner", async () => {
    const countries = await server.http.get(realm('/analytics?groupBy=country')).set(anna.auth).expect(200);
    expect(countries.body.data.map((r: { key: string; clicks: number }) => [r.key, r.clicks])).to.deep.equal([['US', 4], ['DE', 2], ['FR', 1]]);
    const campaigns = await server.http.get(realm('/analytics?groupBy=campaign')).set(bob.auth).expect(200);
    expect(campaigns.body.data.map((r: { key: string }) => r.key)).to.deep.equal(['partner-beta']);
    const days = await server.http.get(realm('/analytics?groupBy=day&from=2026-02-20T00:00:00Z')).set(bob.auth).expect(200);
    expect(days.body.data.reduce((n: number, r: { clicks: number }) => n + r.clicks, 0)).to.equal(3);
    const partner = await server.http.get(realm('/analytics?groupBy=partner')).set(anna.auth).expect(400);
    expect(partner.body.error.details[0].pointer).to.equal('/query/groupBy');
    await server.http.get(realm('/analytics?funnel=true&partnerId=bob')).set(anna.auth).expect(404); // another partner's id: 404, as on the lists (API.md)
  });

  it("breaks down the partner's own clicks by sub-ID, without a campaignId", async () => {
    await server.sql.query(`update clicks set sub1 = 'yt-video-1' where handle = $1 and campaign_id = 'partner-alpha'`, [h.handle]);
    // Conversions inherit their click's sub-IDs when recorded.
    await server.sql.query(`update conversions set sub1 = 'yt-video-1' where handle = $1 and campaign_id = 'partner-alpha'`, [h.handle]);
    await server.sql.query(`update conversions set sub1 = 'bob-secret' where handle = $1 and campaign_id = 'partner-beta'`, [h.handle]);
    await server.sql.query(`update clicks set sub1 = 'bob-secret' where handle = $1 and campaign_id = 'partner-beta'`, [h.handle]);
    const subs = await server.http.get(realm('/analytics?groupBy=sub1')).set(anna.auth).expect(200);
    expect(subs.body.data.map((r: { key: string; clicks: number; conversions: number }) => [r.key, r.clicks, r.conversions])).to.deep.equal([['yt-video-1', 7, 3]]);
    const bobs = await server.http.get(realm('/analytics?groupBy=sub1&campaignId=partner-beta')).set(bob.auth).expect(200);
    expect(bobs.body.data.map((r: { key: string }) => r.key)).to.deep.equal(['bob-secret']);
    // The handle may ask by partner instead of by campaign.
    const byPartner = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub1&partnerId=bob`).set(h.auth).expect(200);
    expect(byPartner.body.data.map((r: { key: string }) => r.key)).to.deep.equal(['bob-secret']);
  });

  it("answers 404 for another partner's campaign, never its numbers", async () => {
    for (const path of ['/analytics?funnel=true&campaignId=partner-beta', '/analytics?groupBy=country&campaignId=partner-beta', '/analytics/export?format=csv&campaignId=partner-beta', '/analytics/stream?campaignId=partner-beta']) {
      const res = await server.http.get(realm(path)).set(anna.auth).expect(404);
      expect(res.body.error.code, path).to.equal('not_found');
      expect(JSON.stringify(res.body)).not.to.match(/clicks|bob/);
    }
    // The partner's own campaign by id works, archived or not.
    const own = await server.http.get(realm('/analytics?funnel=true&campaignId=partner-retired')).set(anna.auth).expect(200);
    expect(own.body.totals.clicks).to.equal(1);
  });

  it("takes its own partnerId on the analytics views, as on its lists, and answers 404 for another's", async () => {
    const plain = await server.http.get(realm('/analytics?funnel=true')).set(anna.auth).expect(200);
    const named = await server.http.get(realm('/analytics?funnel=true&partnerId=anna')).set(anna.auth).expect(200);
    expect(named.body).to.deep.equal(plain.body);
    await server.http.get(realm('/analytics/export?format=ndjson&partnerId=anna')).set(anna.auth).expect(200);
    for (const path of ['/analytics?funnel=true&partnerId=bob', '/analytics?groupBy=sub1&partnerId=bob', '/analytics?funnel=true&partnerId=nobody', '/analytics/export?format=csv&partnerId=bob', '/analytics/stream?partnerId=bob', '/commissions?partnerId=bob']) {
      const res = await server.http.get(realm(path)).set(anna.auth).expect(404);
      expect(res.body.error.code, path).to.equal('not_found');
      expect(JSON.stringify(res.body)).not.to.match(/clicks|bob/);
    }
  });

  it("exports only the partner's clicks, without user agent or IP hash", async () => {
    const csv = await server.http.get(realm('/analytics/export?format=csv')).set(anna.auth).buffer(true).expect(200);
    const [header, ...rows] = parseCsv(csv.text);
    expect(header).to.include.members(['clickId', 'campaignId', 'partnerId']);
    expect(header.join(',')).not.to.match(/agent|ip/i);
    expect(rows).to.have.length(7);
    const at = (name: string) => header.indexOf(name);
    expect(new Set(rows.map((r) => r[at('campaignId')]))).to.deep.equal(new Set(['partner-alpha']));
    expect(new Set(rows.map((r) => r[at('partnerId')]))).to.deep.equal(new Set(['anna']));
    const nd = await server.http.get(realm('/analytics/export?format=ndjson&includeArchived=true')).set(bob.auth).buffer(true).expect(200);
    const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.campaignId)).to.deep.equal(['partner-beta', 'partner-beta', 'partner-beta']);
    expect(lines[0]).not.to.have.any.keys('userAgent', 'ipHash', 'user_agent', 'ip_hash');
    expect(nd.headers['content-disposition']).to.include('-bob-');
  });

  it("streams the partner's funnel only: another partner's changes are never pushed to it", async () => {
    const a = await SseClient.open(`${server.url}${realm('/analytics/stream')}`, anna.auth);
    const b = await SseClient.open(`${server.url}${realm('/analytics/stream')}`, bob.auth);
    streams.push(a, b);
    expect(a.status).to.equal(200);
    const snapshot = await a.until(() => a.events[0], 2000, "anna's snapshot");
    expect(snapshot.data.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-alpha']);
    expect(snapshot.data.totals.clicks).to.equal(7);
    await b.until(() => b.events[0], 2000, "bob's snapshot");

    await insertTraffic(server.sql, h.handle, [{ campaignId: 'partner-beta', at: new Date() }, { campaignId: 'partner-gamma', at: new Date() }]);
    const { row } = await b.until(() => b.funnelRow('partner-beta', 1), 3000, "bob's push");
    expect(row.clicks).to.equal(4);
    await insertTraffic(server.sql, h.handle, [{ campaignId: 'partner-alpha', at: new Date() }]);
    const mine = await a.until(() => a.funnelRow('partner-alpha', 1), 3000, "anna's push");
    expect(mine.row.clicks).to.equal(8);
    // Everything anna ever received names only her campaign.
    for (const e of a.events) {
      if (e.event === 'funnel') expect(e.data.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-alpha']);
    }
    expect(JSON.stringify(a.events)).not.to.match(/partner-beta|partner-gamma|"bob"/);
  });

  it("ends a partner's stream within a poll of its token being revoked", async () => {
    const t = await partnerToken(server, h, 'bob');
    const s = await SseClient.open(`${server.url}${realm('/analytics/stream')}`, t.auth);
    streams.push(s);
    await s.until(() => s.events[0], 2000, 'the snapshot');
    await server.http.delete(`/v2/handles/${h.handle}/partners/bob/tokens/${t.tokenId}`).set(h.auth).expect(200);
    await s.until(() => s.ended, 3000, 'the end of the stream');
    expect(s.events.at(-1)).to.deep.include({ event: 'close', data: { reason: 'token revoked or expired' } });
  });

  it('hands a campaign over: the new partner counts from the handover on, the one before keeps what came before', async () => {
    await server.sql.query(
      `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url, partner_id)
       values ($1, 'handover', 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', 'handover', 'https://merchant.example.com/h', 'bob')`,
      [h.handle],
    );
    await insertTraffic(server.sql, h.handle, [{ campaignId: 'handover', at: new Date(Date.now() - 3_600_000), conversions: [{ value: 40, currency: 'USD' }] }]);
    await createPartner(server, h, 'carol');
    const carol = await partnerToken(server, h, 'carol');
    await assignPartner(server, h, 'handover', 'carol');
    const funnel = async () => (await server.http.get(realm('/analytics?funnel=true')).set(carol.auth).expect(200)).body;
    const before = await funnel();
    expect(before.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['handover']);
    expect(before.totals).to.include({ clicks: 0, conversions: 0, revenue: 0 });
    const groups = (await server.http.get(realm('/analytics?groupBy=country')).set(carol.auth).expect(200)).body.data;
    expect(groups).to.deep.equal([]);
    const csv = await server.http.get(realm('/analytics/export?format=csv')).set(carol.auth).buffer(true).expect(200);
    expect(parseCsv(csv.text)).to.have.length(1); // the header alone

    // Two hours on, the campaign's clicks are carol's.
    await insertTraffic(server.sql, h.handle, [{ campaignId: 'handover', at: new Date(Date.now() + 2 * 3_600_000), country: 'NL' }]);
    expect((await funnel()).totals).to.include({ clicks: 1 });
    const after = (await server.http.get(realm('/analytics?groupBy=country')).set(carol.auth).expect(200)).body.data;
    expect(after.map((r: { key: string }) => r.key)).to.deep.equal(['NL']);
    const csvAfter = await server.http.get(realm('/analytics/export?format=csv')).set(carol.auth).buffer(true).expect(200);
    expect(parseCsv(csvAfter.text)).to.have.length(2);
    // Bob, who had it before, keeps its click and conversion from his time, and sees nothing of carol's.
    const bobs = (await server.http.get(realm('/analytics?funnel=true')).set(bob.auth).expect(200)).body;
    const handover = bobs.data.find((r: { campaignId: string }) => r.campaignId === 'handover');
    expect(handover).to.include({ partnerId: 'bob', clicks: 1, conversions: 1, revenue: 40 });
    expect(Date.parse(handover.lastClickAt)).to.be.below(Date.now()); // his click an hour ago, not carol's two hours on
    const bobsCsv = parseCsv((await server.http.get(realm('/analytics/export?format=csv')).set(bob.auth).buffer(true).expect(200)).text);
    expect(bobsCsv.filter((r) => r.includes('handover'))).to.have.length(1);
    await server.http.delete(`/v2/handles/${h.handle}/campaigns/handover`).set(h.auth).expect(200); // out of the handle views below
  });

  it('keeps the realm and the handle routes apart: 403 across realms, 404 across handles', async () => {
    const onHandle = await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(anna.auth).expect(403);
    expect(onHandle.body.error.code).to.equal('forbidden');
    await server.http.get(`/v2/handles/${h.handle}/tokens/current`).set(anna.auth).expect(403);
    const handleOnRealm = await server.http.get(realm()).set(h.auth).expect(403);
    expect(handleOnRealm.body.error.code).to.equal('forbidden');
    expect((await server.http.get(realm()).set(server.admin()).expect(403)).body.error.code).to.equal('forbidden');
    // The public conversions endpoint too: a partner token is no merchant's (403); a revoked one is no token (401).
    const asMerchant = await server.http.post('/v2/public/conversions').set(anna.auth).send({ ctx: 'x', idempotencyKey: 'k', eventType: 'sale' }).expect(403);
    expect(asMerchant.body.error.code).to.equal('forbidden');
    await server.http.post('/v2/public/conversions').set({ Authorization: 'Bearer tenx_ptk_not-a-live-token' }).send({ ctx: 'x', idempotencyKey: 'k', eventType: 'sale' }).expect(401);
    const other = await createHandle(server);
    await server.http.get(`/v2/handles/${other.handle}/partner`).set(anna.auth).expect(404);
    await server.http.get(`/v2/handles/${other.handle}/analytics?funnel=true`).set(anna.auth).expect(404);
  });

  describe('handle analytics by partner', () => {
    const analytics = (q: string) => server.http.get(`/v2/handles/${h.handle}/analytics${q}`).set(h.auth);

    it('filters the funnel by partnerId and names the partner in every row', async () => {
      const all = await analytics('?funnel=true').expect(200);
      expect(all.body.data.map((r: { campaignId: string; partnerId: string | null }) => [r.campaignId, r.partnerId]))
        .to.deep.equal([['partner-alpha', 'anna'], ['partner-beta', 'bob'], ['partner-gamma', null]]);
      const bobs = await analytics('?funnel=true&partnerId=bob').expect(200);
      expect(bobs.body.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-beta']);
      expect((await analytics('?funnel=true&partnerId=nobody').expect(404)).body.error.code).to.equal('not_found');
      await analytics('?funnel=true&partnerId=bob&campaignId=partner-alpha').expect(404);
    });

    it('groups by partner (campaigns without one under "") and filters breakdowns and exports by partner', async () => {
      const byPartner = await analytics('?groupBy=partner&to=2026-03-01T00:00:00Z').expect(200);
      expect(byPartner.body.data.map((r: { key: string; clicks: number; revenue: number }) => [r.key, r.clicks, r.revenue]))
        .to.deep.equal([['anna', 7, 30], ['bob', 3, 100]]);
      const countries = await analytics('?groupBy=country&partnerId=bob&to=2026-03-01T00:00:00Z').expect(200);
      expect(countries.body.data.map((r: { key: string }) => r.key).sort()).to.deep.equal(['GB', 'US']);
      const csv = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=csv&partnerId=anna&to=2026-03-01T00:00:00Z`).set(h.auth).buffer(true).expect(200);
      const [header, ...rows] = parseCsv(csv.text);
      expect(rows).to.have.length(7);
      expect(new Set(rows.map((r) => r[header.indexOf('partnerId')]))).to.deep.equal(new Set(['anna']));
      const everyone = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson&to=2026-03-01T00:00:00Z`).set(h.auth).buffer(true).expect(200);
      const partners = everyone.text.trim().split('\n').map((l) => JSON.parse(l).partnerId);
      expect(partners.filter((p) => p === 'anna')).to.have.length(7);
      expect(partners.filter((p) => p === 'bob')).to.have.length(3);
    });

    it('streams one partner on the handle stream with ?partnerId', async () => {
      const s = await SseClient.open(`${server.url}/v2/handles/${h.handle}/analytics/stream?partnerId=bob`, h.auth);
      streams.push(s);
      const snapshot = await s.until(() => s.events[0], 2000, 'the snapshot');
      expect(snapshot.data.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['partner-beta']);
      await server.http.get(`/v2/handles/${h.handle}/analytics/stream?partnerId=nobody`).set(h.auth).expect(404);
    });
  });
});
