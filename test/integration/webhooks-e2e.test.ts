import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { conversionData, emit, eventually, startReceiver, verify, type Receiver } from '../support/webhooks.ts';
import { dropRedisKeys } from '../support/database.ts';

const BASE_MS = 200;

describe('workflow 5 end to end: redirect → conversion → signed link.clicked and conversion.tested', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ env: { WEBHOOK_RETRY_BASE_MS: String(BASE_MS) } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
    if (server) await dropRedisKeys(`tenx-test-${server.db.name}:`);
  });

  it('pushes the click and the conversion, with the full conversion payload, to the commission engine', async () => {
    const tenant = await createHandle(server);
    const hook = (await server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth)
      .send({ endpointUrl: receiver.url, eventTypes: ['link.clicked', 'conversion.tested'] }).expect(201)).body;
    await server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
    }).expect(201);
    const click = await server.http.get(`/${tenant.handle}/deal-alpha?sub1=newsletter-dec&sub3=slot%20b`)
      .set('user-agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36')
      .expect(302);
    const ctx = new URL(click.headers.location).searchParams.get('ctx');
    expect(ctx).to.be.a('string');
    const conv = await eventually(async () => {
      const res = await server.http.post('/v2/public/conversions')
        .send({ ctx, eventType: 'affiliate_click', value: 24.99, currency: 'USD', idempotencyKey: 'txn-2026-02-25-order-789' });
      return res.status === 201 && res.body;
    }, 5000, 'the conversion to be recorded');
    await receiver.waitFor((r) => r.length >= 2, 10_000);
    const byType = Object.fromEntries(receiver.received.map((r) => [(verify(hook.secret, r) as { type: string }).type, verify(hook.secret, r)])) as Record<string, any>;
    expect(byType['link.clicked'].data).to.include({ clickId: conv.clickId, campaignId: 'partner-alpha', sub1: 'newsletter-dec', sub2: null, sub3: 'slot b' });
    expect(byType['conversion.tested'].data).to.deep.include({
      clickId: conv.clickId, campaignId: 'partner-alpha', conversionId: conv.conversionId, value: 24.99, currency: 'USD', eventType: 'affiliate_click',
    });
    // A duplicate submission is deduped: no second conversion.tested.
    await server.http.post('/v2/public/conversions')
      .send({ ctx, eventType: 'affiliate_click', value: 24.99, currency: 'USD', idempotencyKey: 'txn-2026-02-25-order-789' }).expect(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received.filter((r) => JSON.parse(r.body).type === 'conversion.tested')).to.have.length(1);
  });
});

describe('webhook signing in the piscina pool (WEBHOOK_SIGNING=workers)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ redis: false, env: { WEBHOOK_SIGNING: 'workers', WORKER_THREADS: '1' } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  it('sends headers signed in a worker thread that verify like inline ones', async () => {
    const tenant = await createHandle(server);
    const hook = (await server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth)
      .send({ endpointUrl: receiver.url, eventTypes: ['conversion.tested'] }).expect(201)).body;
    for (let i = 0; i < 5; i++) await emit(server, tenant.handle, 'conversion.tested', conversionData(i + 1));
    await receiver.waitFor((r) => r.length === 5);
    for (const r of receiver.received) verify(hook.secret, r);
    const metrics = (await server.http.get('/metrics').expect(200)).text;
    expect(metrics).to.match(/tenx_webhook_signings_total\{mode="workers"\} [1-9]/);
  });
});
