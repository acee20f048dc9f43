import { expect } from 'chai';
import { commissionEventInsert } from '../../core/commissions/index.ts';
import type { OutboxService } from '../../core/outbox/service.ts';
import { ledgerRows } from '../support/commissions.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, verify, type Receiver } from '../support/webhooks.ts';

const BASE_MS = 200;
const ALL_MACROS = 'click={click_id}&conv={conversion_id}&camp={campaign_id}&p={partner_id}&e={event_type}&s={status}'
  + '&amt={amount}&v={value}&c={currency}&s1={sub1}&s2={sub2}&s3={sub3}&s4={sub4}&s5={sub5}&country={country}&at={occurred_at}';

// anna owns partner-alpha, bob owns partner-beta; each has a postback-writing token, anna also a read-only one.
describe('partner postbacks (issue 15): URL templates with macros, delivered by the webhook engine to their own partner only', function () {
  this.timeout(30_000);
  let server: TestServer;
  let annaRx: Receiver;
  let bobRx: Receiver;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  let anna: Awaited<ReturnType<typeof partnerToken>>;
  let annaReader: Awaited<ReturnType<typeof partnerToken>>;
  let bob: Awaited<ReturnType<typeof partnerToken>>;
  const realm = (path = '') => `/v2/handles/${h.handle}/partner${path}`;
  const write = { scopes: ['partner.read', 'partner.postbacks.write'] };
  const query = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams);

  before(async () => {
    server = await startTestServer({ env: { WEBHOOK_RETRY_BASE_MS: String(BASE_MS) } });
    annaRx = await startReceiver();
    bobRx = await startReceiver();
    h = await partnerCampaign(server);
    await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send({
      campaignId: 'partner-beta', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug: 'deal-beta', destinationUrl: 'https://merchant.example.com/product?ref=beta' },
    }).expect(201);
    await createPartner(server, h, 'anna');
    await createPartner(server, h, 'bob');
    await assignPartner(server, h, 'partner-alpha', 'anna');
    await assignPartner(server, h, 'partner-beta', 'bob');
    anna = await partnerToken(server, h, 'anna', write);
    annaReader = await partnerToken(server, h, 'anna');
    bob = await partnerToken(server, h, 'bob', write);
  });
  afterEach(async () => {
    // Each test starts without postbacks and with empty receivers.
    for (const who of [anna, bob]) {
      const list = await server.http.get(realm('/postbacks')).set(who.auth).expect(200);
      for (const p of list.body.data) await server.http.delete(realm(`/postbacks/${p.postbackId}`)).set(who.auth).expect(200);
    }
    for (const rx of [annaRx, bobRx]) {
      rx.received.splice(0);
      rx.behave(() => 200);
    }
  });
  after(async () => {
    await annaRx?.close();
    await bobRx?.close();
    await server?.close();
  });

  /** A conversion on a click with sub-IDs and a country, through the public API. */
  async function convert(campaignId: string, key: string, value: number) {
    const { clickId, ctx } = await storedClick(server, h.handle, campaignId, { country: 'DE' });
    await server.sql.query(`update clicks set sub1 = 'news letter', sub2 = 'a&b=c', sub5 = 'über' where click_id = $1`, [clickId]);
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value, currency: 'EUR', idempotencyKey: key }).expect(201);
    return { clickId, conversionId: res.body.conversionId as string };
  }

  /**
   * A commission row and its commission.created event, written by the ledger's own fragment; `grownBy`, the row's amount
   * grows by that much in the same statement, after the event took it (an open day's click row, as more clicks come).
   */
  async function commissionCreated(partnerId: string, campaignId: string, amount: string, status = 'pending', grownBy = '0') {
    const [id] = await ledgerRows(server, [{ handle: h.handle, partnerId, campaignId, amount, currency: 'EUR', status, holdUntil: new Date(Date.now() + 86_400_000) }]);
    await server.sql.query(
      `with c0 as (select * from commissions where commission_id = $1), ev as (${commissionEventInsert('c0', 'commission.created')}),
            grown as (update commissions set amount = amount + $2::numeric where commission_id = $1 and $2::numeric <> 0) select 1`,
      [id, grownBy],
    );
    server.kernel.container.resolve<OutboxService>('outbox').wake();
    return id;
  }

  it('creates, lists and deletes postbacks per partner; the secret is shown once; another partner gets 404', async () => {
    const created = await server.http.post(realm('/postbacks')).set(anna.auth)
      .send({ urlTemplate: `${annaRx.url}?c={click_id}`, events: ['conversion.tested'] }).expect(201);
    expect(created.body).to.include({ partnerId: 'anna', urlTemplate: `${annaRx.url}?c={click_id}`, method: 'GET' });
    expect(created.body.events).to.deep.equal(['conversion.tested']);
    expect(created.body.secret).to.match(/^whsec_/);
    const list = await server.http.get(realm('/postbacks')).set(annaReader.auth).expect(200);
    expect(list.body.data).to.have.length(1);
    expect(list.body.data[0]).to.not.have.property('secret');
    expect((await server.http.get(realm('/postbacks')).set(bob.auth).expect(200)).body.data).to.deep.equal([]);
    await server.http.delete(realm(`/postbacks/${created.body.postbackId}`)).set(bob.auth).expect(404);
    await server.http.get(realm(`/postbacks/${created.body.postbackId}/deliveries`)).set(bob.auth).expect(404);
    // Postbacks are the partner's: the handle's webhook routes never show or touch them.
    const hooks = await server.http.get(`/v2/handles/${h.handle}/webhooks`).set(h.auth).expect(200);
    expect(hooks.body.data).to.deep.equal([]);
    await server.http.get(`/v2/handles/${h.handle}/webhooks/${created.body.postbackId}`).set(h.auth).expect(404);
    await server.http.delete(realm(`/postbacks/${created.body.postbackId}`)).set(anna.auth).expect(200);
    expect((await server.http.get(realm('/postbacks')).set(anna.auth).expect(200)).body.data).to.deep.equal([]);
  });

  it('refuses writes without partner.postbacks.write (403) and handle tokens on the realm (403)', async () => {
    const body = { urlTemplate: `${annaRx.url}?c={click_id}`, events: ['conversion.tested'] };
    const res = await server.http.post(realm('/postbacks')).set(annaReader.auth).send(body).expect(403);
    expect(res.body.error.code).to.equal('insufficient_scope');
    await server.http.post(realm('/postbacks')).set(h.auth).send(body).expect(403);
    const [pb] = (await server.http.get(realm('/postbacks')).set(anna.auth).expect(200)).body.data;
    expect(pb).to.equal(undefined);
  });

  it('names an unknown macro (400), refuses macros in the host and events outside the three', async () => {
    const unknown = await server.http.post(realm('/postbacks')).set(anna.auth)
      .send({ urlTemplate: `${annaRx.url}?c={click_id}&x={payout}&y={Sub1}`, events: ['conversion.tested'] }).expect(400);
    expect(unknown.body.error.code).to.equal('invalid_request');
    expect(unknown.body.error.message).to.contain('{payout}').and.contain('{Sub1}');
    expect(unknown.body.error.details[0]).to.include({ pointer: '/body/urlTemplate' });
    const host = await server.http.post(realm('/postbacks')).set(anna.auth)
      .send({ urlTemplate: 'https://{sub1}.example.com/pb', events: ['conversion.tested'] }).expect(400);
    expect(host.body.error.message).to.contain('path and query');
    // Spellings the URL parser reads with the macro as the host (a visitor's sub1 would pick the receiver).
    for (const urlTemplate of ['http:/{sub1}:9711/pb?c={click_id}', 'http:{sub1}/pb', 'http:///{sub1}/x', 'http:\\\\{sub1}/x', 'http:/{campaign_id}/x', 'https://{sub1}@example.com/x']) {
      const res = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate, events: ['conversion.tested'] });
      expect(res.status, urlTemplate).to.equal(400);
      expect(res.body.error.message, urlTemplate).to.contain('path and query');
    }
    // A fragment is never sent: a macro there would do nothing, silently.
    for (const urlTemplate of [`${annaRx.url}/f?x=1#frag{sub1}`, `${annaRx.url}/f#top`]) {
      const res = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate, events: ['conversion.tested'] }).expect(400);
      expect(res.body.error.message, urlTemplate).to.contain('fragment');
    }
    // A mistyped macro ("{amount" without its brace) would be sent literally.
    const stray = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: `${annaRx.url}/f?a={amount`, events: ['conversion.tested'] }).expect(400);
    expect(stray.body.error.details).to.deep.equal([{ pointer: '/body/urlTemplate', message: 'unbalanced { or }' }]);
    await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: `${annaRx.url}`, events: ['payout.paid'] }).expect(400);
    await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: `${annaRx.url}`, events: ['conversion.tested'], method: 'PUT' }).expect(400);
    const scheme = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: 'ftp://example.com/{click_id}', events: ['conversion.tested'] }).expect(400);
    expect(scheme.body.error.code).to.equal('endpoint_not_allowed');
    // No macro at all, no scheme://host: told what is missing, not that a macro sits in the host.
    for (const urlTemplate of ['javascript:alert(1)', 'http:example.com/pb', 'mailto:ops@example.com', 'http:example.com/pb/{click_id}', 'https:/example.com/?c={click_id}']) {
      const res = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate, events: ['conversion.tested'] }).expect(400);
      expect(res.body.error.details, urlTemplate).to.deep.equal([{ pointer: '/body/urlTemplate', message: 'must start with http:// or https:// and a host' }]);
    }
  });

  it('never lets an event pick the receiver: a stored template whose host is a macro (saved before the rule) does not fire', async () => {
    const ok = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: `${annaRx.url}/ok?c={click_id}`, events: ['conversion.tested'] }).expect(201);
    const old = await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: `${annaRx.url}/later?c={click_id}`, events: ['conversion.tested'] }).expect(201);
    const port = new URL(annaRx.url).port;
    await server.sql.query('update webhooks set endpoint_url = $2 where webhook_id = $1', [old.body.postbackId, `http:/{sub1}:${port}/hijacked?c={click_id}`]);
    const { clickId, ctx } = await storedClick(server, h.handle, 'partner-alpha', { country: 'DE' });
    await server.sql.query(`update clicks set sub1 = '127.0.0.1' where click_id = $1`, [clickId]);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 5, currency: 'EUR', idempotencyKey: 'order-host-macro' }).expect(201);
    await annaRx.waitFor((r) => r.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(annaRx.received.map((r) => new URL(r.url, 'http://x').pathname)).to.deep.equal([`${new URL(annaRx.url).pathname}/ok`]);
    const deliveries = await server.http.get(realm(`/postbacks/${old.body.postbackId}/deliveries`)).set(anna.auth).expect(200);
    expect(deliveries.body.data).to.deep.equal([]);
    expect((await server.http.get(realm(`/postbacks/${ok.body.postbackId}/deliveries`)).set(anna.auth).expect(200)).body.data).to.have.length(1);
  });

  it('GET postback: expands every macro, URL-encoded, for its own partner\'s conversion only', async () => {
    await server.http.post(realm('/postbacks')).set(anna.auth).send({ urlTemplate: `${annaRx.url}?${ALL_MACROS}`, events: ['conversion.tested'] }).expect(201);
    await server.http.post(realm('/postbacks')).set(bob.auth).send({ urlTemplate: `${bobRx.url}?conv={conversion_id}`, events: ['conversion.tested'] }).expect(201);
    const mine = await convert('partner-alpha', 'order-anna-1', 24.5);
    await annaRx.waitFor((r) => r.length >= 1);
    const [got] = annaRx.received;
    expect(got.method).to.equal('GET');
    const q = query(got.url);
    expect(q).to.deep.include({
      click: mine.clickId, conv: mine.conversionId, camp: 'partner-alpha', p: 'anna', e: 'sale', s: 'recorded', amt: '', v: '24.50', c: 'EUR',
      s1: 'news letter', s2: 'a&b=c', s3: '', s4: '', s5: 'über', country: 'DE',
    });
    expect(Date.parse(q.at)).to.be.closeTo(Date.now(), 60_000);
    // Encoded on the wire, not just decodable: a sub-ID cannot add parameters of its own.
    expect(got.url).to.contain('s2=a%26b%3Dc').and.contain('s1=news%20letter');
    // Bob's postback never fired for anna's conversion; his own conversion reaches him, not anna.
    await new Promise((r) => setTimeout(r, 1500));
    expect(bobRx.received).to.have.length(0);
    const his = await convert('partner-beta', 'order-bob-1', 10);
    await bobRx.waitFor((r) => r.length >= 1);
    expect(query(bobRx.received[0].url)).to.deep.equal({ conv: his.conversionId });
    await new Promise((r) => setTimeout(r, 1000));
    expect(annaRx.received).to.have.length(1);
  });

  it('POST postback: the event JSON, Standard Webhooks-signed with the postback\'s own secret; commission events of its partner only', async () => {
    const pb = (await server.http.post(realm('/postbacks')).set(anna.auth)
      .send({ urlTemplate: `${annaRx.url}?amount={amount}&s={status}&p={partner_id}`, method: 'POST', events: ['commission.created', 'commission.updated'] }).expect(201)).body;
    await server.http.post(realm('/postbacks')).set(bob.auth)
      .send({ urlTemplate: `${bobRx.url}?amount={amount}`, method: 'POST', events: ['commission.created'] }).expect(201);
    const commissionId = await commissionCreated('anna', 'partner-alpha', '12.50');
    await annaRx.waitFor((r) => r.length >= 1);
    const first = annaRx.received[0];
    expect(first.method).to.equal('POST');
    const event = verify(pb.secret, first) as { type: string; data: Record<string, unknown> };
    expect(event.type).to.equal('commission.created');
    expect(event.data).to.include({ commissionId, partnerId: 'anna', status: 'pending' });
    expect(query(first.url)).to.deep.equal({ amount: '12.50', s: 'pending', p: 'anna' });
    // A status change through the API (commission.updated) reaches the postback too.
    await server.http.patch(`/v2/handles/${h.handle}/commissions/${commissionId}`).set(h.auth).send({ status: 'approved', reason: 'checked' }).expect(200);
    await annaRx.waitFor((r) => r.length >= 2);
    const second = annaRx.received[1];
    expect((verify(pb.secret, second) as { type: string }).type).to.equal('commission.updated');
    expect(query(second.url)).to.include({ s: 'approved' });
    // Bob's postback saw none of it; the other way round as well. Its row grew to 3.25 before the event went out: the
    // URL's {amount} is the event's, as its signed body says, not the row's later one.
    await commissionCreated('bob', 'partner-beta', '3.00', 'pending', '0.25');
    await bobRx.waitFor((r) => r.length >= 1);
    expect(query(bobRx.received[0].url)).to.deep.equal({ amount: '3.00' });
    expect((JSON.parse(bobRx.received[0].body) as { data: { amount: number } }).data.amount).to.equal(3);
    expect((await server.sql.query('select amount::text from commissions where partner_id = $1', ['bob'])).rows.map((r) => r.amount)).to.include('3.25');
    // An amount no double holds exactly (a grown click row, above 2^53 cents) goes out exact, and stalls nothing.
    await commissionCreated('bob', 'partner-beta', '90999999999999.09', 'pending', '0.25');
    await bobRx.waitFor((r) => r.length >= 2);
    expect(query(bobRx.received[1].url)).to.deep.equal({ amount: '90999999999999.09' });
    expect(() => verify(pb.secret, bobRx.received[0])).to.throw();
    await new Promise((r) => setTimeout(r, 1000));
    expect(annaRx.received).to.have.length(2);
    expect(bobRx.received).to.have.length(2);
  });

  it('retries like a webhook and shows the attempts at the realm route and in the handle\'s notifications panel', async () => {
    annaRx.behave(({ n }) => (n < 2 ? 503 : 200));
    const pb = (await server.http.post(realm('/postbacks')).set(anna.auth)
      .send({ urlTemplate: `${annaRx.url}?conv={conversion_id}`, events: ['conversion.tested'] }).expect(201)).body;
    const { conversionId } = await convert('partner-alpha', 'order-anna-retry', 5);
    await annaRx.waitFor((r) => r.length >= 3, 15_000);
    // Every retry calls the same URL with the same webhook-id.
    expect(new Set(annaRx.received.map((r) => r.url)).size).to.equal(1);
    expect(new Set(annaRx.received.map((r) => r.id)).size).to.equal(1);
    expect(query(annaRx.received[0].url)).to.deep.equal({ conv: conversionId });
    const deliveries = await eventually(async () => {
      const res = await server.http.get(realm(`/postbacks/${pb.postbackId}/deliveries`)).set(annaReader.auth).expect(200);
      return res.body.data[0]?.status === 'succeeded' && res.body;
    }, 5000, 'the delivery to succeed');
    expect(deliveries.data).to.have.length(1);
    expect(deliveries.data[0].attempts.map((a: { statusCode: number }) => a.statusCode)).to.deep.equal([503, 503, 200]);
    expect(deliveries.data[0].attempts[0].error).to.equal('http_503');
    expect(deliveries.summary[pb.postbackId]).to.include({ partnerId: 'anna', succeeded: 1, failed: 0 });
    const panel = await server.http.get(`/v2/handles/${h.handle}/notifications`).set(h.auth).expect(200);
    const row = panel.body.data.find((d: { webhookId: string }) => d.webhookId === pb.postbackId);
    expect(row).to.include({ eventType: 'conversion.tested', status: 'succeeded', partnerId: 'anna' });
    // The summary names the postback's partner too (the dashboard's card, with none of its deliveries on the page).
    expect(panel.body.summary[pb.postbackId]).to.include({ partnerId: 'anna', succeeded: 1 });
  });
});

describe('postbacks under the SSRF rules of webhooks (WEBHOOK_ALLOW_PRIVATE=false)', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ redis: false, env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
  });
  after(async () => server?.close());

  it('refuses loopback, metadata and plain-http templates with endpoint_not_allowed', async () => {
    const h = await partnerCampaign(server);
    await createPartner(server, h, 'anna');
    const anna = await partnerToken(server, h, 'anna', { scopes: ['partner.read', 'partner.postbacks.write'] });
    for (const urlTemplate of ['https://127.0.0.1/pb?c={click_id}', 'https://169.254.169.254/latest?c={click_id}', 'http://example.com/pb?c={click_id}']) {
      const res = await server.http.post(`/v2/handles/${h.handle}/partner/postbacks`).set(anna.auth).send({ urlTemplate, events: ['conversion.tested'] }).expect(400);
      expect(res.body.error.code, urlTemplate).to.equal('endpoint_not_allowed');
      // Said to a partner, who cannot change the server's settings: none is named, and the detail does not repeat the message.
      expect(res.body.error.message, urlTemplate).to.match(/^The endpoint /).and.not.match(/WEBHOOK_|webhooks/);
      expect(res.body.error.details).to.deep.equal([{ pointer: '/body/urlTemplate', message: 'is not an endpoint postbacks may reach' }]);
    }
    const port = await server.http.post(`/v2/handles/${h.handle}/partner/postbacks`).set(anna.auth)
      .send({ urlTemplate: 'https://example.com:6379/pb?c={click_id}', events: ['conversion.tested'] }).expect(400);
    expect(port.body.error.message).to.equal('The endpoint port 6379 is not allowed; postbacks may use ports 80, 443, 8443.');
    // A handle's own webhooks still name the settings: its managers may run the server.
    const hook = await server.http.post(`/v2/handles/${h.handle}/webhooks`).set(h.auth).send({ endpointUrl: 'https://127.0.0.1/hook', eventTypes: ['conversion.tested'] }).expect(400);
    expect(hook.body.error.message).to.include('webhooks may only reach public addresses unless WEBHOOK_ALLOW_PRIVATE is set.');
  });
});

describe('partner.updated webhook event', function () {
  this.timeout(30_000);
  let server: TestServer;
  let rx: Receiver;
  before(async () => {
    server = await startTestServer({ redis: false });
    rx = await startReceiver();
  });
  after(async () => {
    await rx?.close();
    await server?.close();
  });

  it('is sent, signed, with the partner as the API returns it when a partner is PATCHed (not when nothing changed)', async () => {
    const h = await partnerCampaign(server);
    await createPartner(server, h, 'anna');
    const hook = (await server.http.post(`/v2/handles/${h.handle}/webhooks`).set(h.auth).send({ endpointUrl: rx.url, eventTypes: ['partner.updated'] }).expect(201)).body;
    const patched = await server.http.patch(`/v2/handles/${h.handle}/partners/anna`).set(h.auth).send({ status: 'SUSPENDED', name: 'Anna GmbH' }).expect(200);
    await rx.waitFor((r) => r.length >= 1);
    const event = verify(hook.secret, rx.received[0]) as { type: string; data: Record<string, unknown> };
    expect(event.type).to.equal('partner.updated');
    expect(event.data).to.deep.include({ ...patched.body, previous: { name: 'Partner anna', status: 'ACTIVE' } });
    await server.http.patch(`/v2/handles/${h.handle}/partners/anna`).set(h.auth).send({ status: 'SUSPENDED' }).expect(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.received).to.have.length(1);
  });
});
