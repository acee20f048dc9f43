import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import {
  campaign, CHROME, clickCount, followed, GOOGLEBOT, HEADLESS, metric, person, SAFARI_IPHONE, storedClicks, trustLocalProxy, waitFor,
} from '../support/redirect.ts';

const ALPHA = 'https://merchant.example.com/product?ref=alpha';
const BETA = 'https://merchant.example.com/product?ref=beta';
const EMAIL = 'https://merchant.example.com/product?ref=alpha&src=email';
const SOCIAL = 'https://merchant.example.com/product?ref=alpha&src=social';
const seedRules = [
  { priority: 10, destinationUrl: EMAIL, conditions: { sourceIn: ['email'] } },
  { priority: 20, destinationUrl: SOCIAL, conditions: { sourceIn: ['twitter', 'instagram', 'facebook'] } },
];

describe('redirect: GET /{handle}/{slug}', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: trustLocalProxy });
  });
  after(async () => server?.close());

  async function handleWith(...campaigns: object[]) {
    const h = await createHandle(server);
    for (const c of campaigns) await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send(c).expect(201);
    return h;
  }

  describe('workflow 1: per-partner short links', () => {
    it('sends each partner link to its own destination with a ctx that verifies and keeps the destination query', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA), campaign('partner-beta', 'deal-beta', BETA));
      const a = await server.http.get(`/${handle}/deal-alpha`).set(person()).expect(302);
      const b = await server.http.get(`/${handle}/deal-beta`).set(person()).expect(302);
      const fa = followed(a.headers.location);
      const fb = followed(b.headers.location);
      expect(fa.destination).to.equal(ALPHA);
      expect(fb.destination).to.equal(BETA);
      expect(fa.claims).to.include({ handle, campaignId: 'partner-alpha', windowDays: 30 });
      expect(fb.claims).to.include({ handle, campaignId: 'partner-beta' });
      expect(fa.expired).to.equal(false);
      expect(fa.claims.clickId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/); // UUIDv7
      expect(a.headers['cache-control']).to.equal('no-store');
      expect(a.headers['referrer-policy']).to.equal('no-referrer-when-downgrade');
      expect(a.headers['x-request-id']).to.be.a('string');

      const rows = await storedClicks(server, handle, 2);
      const byCampaign = Object.fromEntries(rows.map((r) => [r.campaign_id, r]));
      expect(byCampaign['partner-alpha'].click_id).to.equal(fa.claims.clickId);
      expect(byCampaign['partner-beta'].click_id).to.equal(fb.claims.clickId);
      expect(byCampaign['partner-alpha'].destination_url).to.equal(ALPHA);
    });

    it('answers warm links from the fast lane and counts clicks into hourly rollups and the last click time', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      const before = await metric(server, 'tenx_redirects_total', 'lane="fast"');
      for (let i = 0; i < 3; i++) await server.http.get(`/${handle}/deal-alpha`).set(person()).expect(302);
      expect(await metric(server, 'tenx_redirects_total', 'lane="fast"')).to.be.at.least(before + 2);
      await storedClicks(server, handle, 3);
      const rollups = await server.sql.query('select sum(clicks)::int as c, sum(qualified_clicks)::int as q from click_rollups where handle = $1', [handle]);
      expect(rollups.rows[0]).to.deep.equal({ c: 3, q: 3 });
      const stats = await server.sql.query('select last_click_at from campaign_stats where handle = $1', [handle]);
      expect(Date.now() - stats.rows[0].last_click_at.getTime()).to.be.below(60_000);
    });

    it('records country, segment, source, referrer and language of each click', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      await server.http.get(`/${handle}/deal-alpha`).set(person(SAFARI_IPHONE, { 'cf-ipcountry': 'DE', 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' }))
        .set('referer', 'https://www.instagram.com/p/abc').expect(302);
      await server.http.get(`/${handle}/deal-alpha?utm_source=Newsletter`).set(person(CHROME, { 'cf-ipcountry': 'us' })).expect(302);
      const rows = await storedClicks(server, handle, 2);
      expect(rows[0]).to.include({ country: 'DE', segment: 'mobile', device: 'mobile', source: 'instagram', referrer_host: 'www.instagram.com', language: 'de', is_bot: false });
      expect(rows[1]).to.include({ country: 'US', segment: 'desktop', source: 'newsletter', referrer_host: null, language: 'en' });
    });

    it("uses the handle's tracking preset to assign segments when it does", async () => {
      const { handle, auth } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      await server.http.put(`/v2/handles/${handle}/plugins/partner_segment`).set(auth)
        .send({ enabled: true, settings: { bySource: { email: 'newsletter' } } }).expect(200);
      await server.http.get(`/${handle}/deal-alpha?src=email`).set(person()).expect(302);
      await server.http.get(`/${handle}/deal-alpha`).set(person()).expect(302);
      const rows = await storedClicks(server, handle, 2);
      expect(rows.map((r) => r.segment)).to.deep.equal(['newsletter', 'desktop']);
    });
  });

  describe('workflow 6: routing rules for source-based targeting', () => {
    it('picks the email and social destinations by src and by Referer, else the primary link', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA, { routingRules: seedRules }));
      const go = async (query: string, referer?: string) => {
        const req = server.http.get(`/${handle}/deal-alpha${query}`).set(person());
        const res = await (referer ? req.set('referer', referer) : req).expect(302);
        return followed(res.headers.location).destination;
      };
      expect(await go('?src=email')).to.equal(EMAIL);
      expect(await go('?src=twitter')).to.equal(SOCIAL);
      expect(await go('', 'https://t.co/x1y2z3')).to.equal(SOCIAL);
      expect(await go('', 'https://mail.google.com/mail/u/0/')).to.equal(EMAIL);
      expect(await go('', 'https://l.facebook.com/l.php')).to.equal(SOCIAL);
      expect(await go('')).to.equal(ALPHA);
      expect(await go('?src=blog')).to.equal(ALPHA);
      const rows = await storedClicks(server, handle, 7);
      expect(rows.map((r) => r.source)).to.deep.equal(['email', 'twitter', 'twitter', 'email', 'facebook', 'direct', 'blog']);
      expect(rows[2].referrer_host).to.equal('t.co');
      expect(rows[2].destination_url).to.equal(SOCIAL);
    });

    it('routes by country, device and language too; the lowest matching priority wins', async () => {
      const rules = [
        { priority: 30, destinationUrl: 'https://m.example.com/de', conditions: { countryIn: ['DE'] } },
        { priority: 20, destinationUrl: 'https://m.example.com/de-mobile', conditions: { countryIn: ['DE'], deviceIn: ['mobile'] } },
        { priority: 40, destinationUrl: 'https://m.example.com/fr', conditions: { languageIn: ['fr'] } },
      ];
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA, { routingRules: rules }));
      const go = async (headers: Record<string, string>) =>
        followed((await server.http.get(`/${handle}/deal-alpha`).set(headers).expect(302)).headers.location).destination;
      expect(await go(person(CHROME, { 'cf-ipcountry': 'DE' }))).to.equal('https://m.example.com/de');
      expect(await go(person(SAFARI_IPHONE, { 'cf-ipcountry': 'DE' }))).to.equal('https://m.example.com/de-mobile');
      expect(await go(person(CHROME, { 'cf-ipcountry': 'CA', 'accept-language': 'fr-CA,fr;q=0.9' }))).to.equal('https://m.example.com/fr');
      expect(await go(person(CHROME, { 'cf-ipcountry': 'CA' }))).to.equal(ALPHA);
    });
  });

  describe('workflow 4: bot traffic is redirected, stored and flagged', () => {
    it('flags Googlebot, curl and HeadlessChrome, and not real Chrome or Safari with Accept-Language', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      const agents = [GOOGLEBOT, 'curl/8.5.0', HEADLESS, CHROME, SAFARI_IPHONE];
      for (const ua of agents) {
        const res = await server.http.get(`/${handle}/deal-alpha`).set(person(ua)).expect(302);
        followed(res.headers.location); // bots get the same verified redirect
      }
      const rows = await storedClicks(server, handle, agents.length);
      const byUa = Object.fromEntries(rows.map((r) => [r.user_agent, r]));
      expect(byUa[GOOGLEBOT]).to.include({ is_bot: true, segment: 'bot' });
      expect(byUa[GOOGLEBOT].bot_reason).to.match(/^user_agent:.*google/);
      expect(byUa['curl/8.5.0']).to.include({ is_bot: true, bot_reason: 'user_agent:curl' });
      expect(byUa[HEADLESS].is_bot).to.equal(true);
      expect(byUa[HEADLESS].bot_reason).to.match(/headless/);
      expect(byUa[CHROME]).to.include({ is_bot: false, bot_reason: null });
      expect(byUa[SAFARI_IPHONE]).to.include({ is_bot: false, bot_reason: null });
      const rollups = await server.sql.query('select sum(clicks)::int as c, sum(qualified_clicks)::int as q from click_rollups where handle = $1', [handle]);
      expect(rollups.rows[0]).to.deep.equal({ c: 5, q: 2 });
    });

    it('flags link previews, prefetches and a burst from one client IP', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      await server.http.get(`/${handle}/deal-alpha`).set(person('Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)')).expect(302);
      await server.http.get(`/${handle}/deal-alpha`).set(person(CHROME, { 'sec-purpose': 'prefetch' })).expect(302);
      const same = person();
      for (let i = 0; i < 32; i++) await server.http.get(`/${handle}/deal-alpha`).set(same).expect(302);
      const rows = await storedClicks(server, handle, 34);
      expect(rows[0].bot_reason).to.equal('link_preview:slack');
      expect(rows[1].bot_reason).to.equal('link_preview:prefetch');
      const burst = rows.slice(2);
      expect(burst.filter((r) => !r.is_bot)).to.have.length(30); // default: 30 a minute per IP and campaign
      expect(burst[31].bot_reason).to.match(/^burst:/);
    });
  });

  describe('workflow 5: link.clicked events', () => {
    it('emits link.clicked to the outbox only for handles subscribed to it', async () => {
      const subscribed = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      const quiet = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      await server.http.post(`/v2/handles/${subscribed.handle}/webhooks`).set(subscribed.auth)
        .send({ endpointUrl: 'http://127.0.0.1:9/ingest', eventTypes: ['link.clicked'] }).expect(201);
      const events = (handle: string) => server.sql.query(`select payload from outbox_events where handle = $1 and type = 'link.clicked'`, [handle]);
      await waitFor('the subscription to be known', async () => {
        const res = await server.http.get(`/${subscribed.handle}/deal-alpha`).set(person()).expect(302);
        const clickId = followed(res.headers.location).claims.clickId;
        return waitFor('the click', async () => (await clickCount(server, subscribed.handle)) > 0).then(async () =>
          (await events(subscribed.handle)).rows.some((r) => r.payload.clickId === clickId));
      }, 3000, 100);
      const { rows } = await events(subscribed.handle);
      expect(rows[rows.length - 1].payload).to.include({ campaignId: 'partner-alpha', isBot: false, source: 'direct' });
      await server.http.get(`/${quiet.handle}/deal-alpha`).set(person()).expect(302);
      await storedClicks(server, quiet.handle, 1);
      expect((await events(quiet.handle)).rows).to.have.length(0);
    });
  });

  describe('what does not count', () => {
    it('answers HEAD like GET, signed ctx included, without recording a click (its ctx never verifies a conversion)', async () => {
      const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      for (let i = 0; i < 2; i++) {
        const res = await server.http.head(`/${handle}/deal-alpha`).set(person()).expect(302);
        const location = new URL(res.headers.location);
        expect(location.searchParams.get('ctx')).to.match(/^[A-Za-z0-9_-]{20,200}$/);
        location.searchParams.delete('ctx');
        expect(location.toString()).to.equal(ALPHA);
        expect(res.headers['cache-control']).to.equal('no-store');
      }
      await server.http.get(`/${handle}/deal-alpha`).set(person()).expect(302);
      await storedClicks(server, handle, 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(await clickCount(server, handle)).to.equal(1);
    });

    it('answers unknown handles and slugs, DRAFT, PAUSED and ARCHIVED campaigns with a 404 page and no click', async () => {
      const { handle, auth } = await handleWith(
        campaign('live', 'live', ALPHA), campaign('draft', 'draft', ALPHA, { status: 'DRAFT' }), campaign('paused', 'paused', ALPHA, { status: 'PAUSED' }),
        campaign('gone', 'gone', ALPHA),
      );
      await server.http.delete(`/v2/handles/${handle}/campaigns/gone`).set(auth).expect(200);
      for (const path of [`/${handle}/nope`, `/no-such-handle/live`, `/${handle}/draft`, `/${handle}/paused`, `/${handle}/gone`, `/${handle}/bad%20slug`]) {
        for (let i = 0; i < 2; i++) { // the second time from the cache
          const res = await server.http.get(path).set(person()).expect(404);
          expect(res.headers['content-type']).to.match(/^text\/html/);
          expect(res.text).to.include('Link not found');
        }
        await server.http.head(path).expect(404);
      }
      await new Promise((r) => setTimeout(r, 100));
      expect(await clickCount(server, handle)).to.equal(0);
      // API paths are not short links: /v2/handles takes POST alone (the short link's GET and HEAD were in its Allow).
      const api = await server.http.get('/v2/handles').expect(405);
      expect([api.body.error.code, api.headers.allow]).to.deep.equal(['method_not_allowed', 'POST']);
      expect((await server.http.put('/v2/handles').send({}).expect(405)).headers.allow).to.equal('POST');
      expect((await server.http.options('/v2/handles').expect(200)).headers.allow).to.equal('POST');
      // The router matches paths case-insensitively; so does the reserved check (a review: /V2/handles still listed GET).
      expect((await server.http.put('/V2/handles').send({}).expect(405)).headers.allow).to.equal('POST');
      expect((await server.http.get('/v2/nothing').expect(404)).body.error.code).to.equal('not_found');
      // A short link's path still takes GET and HEAD alone.
      expect((await server.http.put(`/${handle}/live`).send({}).expect(405)).headers.allow).to.equal('HEAD, GET');
    });
  });

  describe('changes reach the redirect', () => {
    it('sees a PATCHed destination, a pause and a new campaign within 1 second', async () => {
      const { handle, auth } = await handleWith(campaign('partner-alpha', 'deal-alpha', ALPHA));
      await server.http.get(`/${handle}/deal-alpha`).set(person()).expect(302); // warm
      await server.http.get(`/${handle}/deal-new`).expect(404); // cached as unknown
      const changed = Date.now();
      await server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ destinationUrl: BETA }).expect(200);
      await waitFor('the new destination', async () => {
        const res = await server.http.get(`/${handle}/deal-alpha`).set(person());
        return followed(res.headers.location).destination === BETA;
      }, 1000);
      expect(Date.now() - changed).to.be.below(1000);

      await server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ status: 'PAUSED' }).expect(200);
      await waitFor('the pause', async () => (await server.http.get(`/${handle}/deal-alpha`)).status === 404, 1000);

      await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(campaign('partner-new', 'deal-new', ALPHA)).expect(201);
      await waitFor('the new link', async () => (await server.http.get(`/${handle}/deal-new`).set(person())).status === 302, 1000);
    });
  });
});
