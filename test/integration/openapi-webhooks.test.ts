import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { EVENT_TYPES } from '../../core/outbox/index.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, type Receiver } from '../support/webhooks.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
type EventOp = {
  post: { summary: string; parameters: Array<{ name: string; in: string }>; requestBody: { content: Record<string, { schema: object }> } };
};
type Doc = { webhooks?: Record<string, EventOp>; components: object };

// Black-box pass: GET /v2/openapi.json described every route but not what a webhook receives (API.md:
// "the OpenAPI 3.1 document of everything below", webhooks included). It now has the 3.1 `webhooks`
// section: one entry per event type, the Standard Webhooks headers, and each payload's schema, which
// every event the server really sends validates against.
describe('OpenAPI document: the webhooks section describes what subscribers receive', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  let doc: Doc;
  before(async () => {
    server = await startTestServer({ redis: false, env: { WEBHOOK_RETRY_BASE_MS: '1500', WEBHOOK_TIMEOUT_MS: '4000' } });
    receiver = await startReceiver();
    doc = (await server.http.get('/v2/openapi.json').expect(200)).body as Doc;
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  it('has one entry per event type a webhook can subscribe to, with the signature headers', () => {
    expect(Object.keys(doc.webhooks ?? {}).sort()).to.deep.equal([...EVENT_TYPES].sort());
    for (const [type, op] of Object.entries(doc.webhooks!)) {
      expect(op.post.summary, type).to.be.a('string').and.not.equal('');
      expect(op.post.parameters.filter((p) => p.in === 'header').map((p) => p.name)).to.deep.equal([
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
      ]);
    }
  });

  it("says who receives each event (postbacks: only their events) and this server's timeout and retry delays", () => {
    const described = (type: string) => (doc.webhooks![type] as unknown as { post: { description: string } }).post.description;
    for (const type of EVENT_TYPES) {
      expect(described(type), type).to.include('within 4 s (WEBHOOK_TIMEOUT_MS)').and.include('(after 1.5 s, 3 s, 6 s, 12 s, 24 s: WEBHOOK_RETRY_BASE_MS');
      expect(described(type).includes('partner postbacks'), type).to.equal(['conversion.tested', 'commission.created', 'commission.updated'].includes(type));
    }
  });

  it('every event of the partner workflow validates against its schema (and its signature verifies)', async () => {
    const { handle, auth } = await createHandle(server);
    const base = `/v2/handles/${handle}`;
    const hook = await server.http
      .post(`${base}/webhooks`)
      .set(auth)
      .send({ endpointUrl: receiver.url, eventTypes: EVENT_TYPES })
      .expect(201);
    await server.http.post(`${base}/partners`).set(auth).send({ partnerId: 'alpha', name: 'Alpha' }).expect(201);
    await server.http
      .post(`${base}/campaigns`)
      .set(auth)
      .send({
        campaignId: 'c1',
        goalType: 'AFFILIATE_CLICKOUT',
        status: 'ACTIVE',
        partnerId: 'alpha',
        primaryLink: { slug: 's1', destinationUrl: 'https://m.example.com/p' },
      })
      .expect(201);
    await server.http
      .put(`${base}/rewards/r1`)
      .set(auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 0 })
      .expect(201);
    // A person's browser (the built-in detectors flag a bare user agent, and a bot click's commission is rejected).
    const browser = {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      'accept-language': 'en-US,en;q=0.9',
      accept: 'text/html',
    };
    const click = await server.http.get(`/${handle}/s1?sub1=news`).set(browser).expect(302);
    const ctx = new URL(click.headers.location).searchParams.get('ctx');
    const conversion = { ctx, eventType: 'affiliate_click', value: 20, currency: 'USD', idempotencyKey: 'o1' };
    await server.http.post('/v2/public/conversions').set(auth).send(conversion).expect(201);
    await server.http
      .post('/v2/public/conversions')
      .set(auth)
      .send({ ...conversion, value: 21 })
      .expect(200);
    await server.http.patch(`${base}/campaigns/c1`).set(auth).send({ title: 'Deal' }).expect(200);
    await server.http.patch(`${base}/partners/alpha`).set(auth).send({ name: 'Alpha 2' }).expect(200);
    await server.http.post(`${base}/webhooks/${hook.body.webhookId}/ping`).set(auth).expect(202);
    await server.http
      .post(`${base}/conversions/reversals`)
      .set(auth)
      .send({ idempotencyKey: 'o1', reversalKey: 'r1', amount: 5, reason: 'refund' })
      .expect(201);
    const pending = await server.http.get(`${base}/commissions?status=pending`).set(auth).expect(200);
    const ids = pending.body.data.map((c: { commissionId: string }) => c.commissionId);
    await server.http
      .post(`${base}/commissions/bulk`)
      .set(auth)
      .send({ commissionIds: ids, status: 'approved', reason: 'checked' })
      .expect(200);
    const run = await server.http.post(`${base}/payouts`).set(auth).send({ idempotencyKey: 'p1' }).expect(201);
    await server.http.post(`${base}/payouts/${run.body.data[0].payoutId}/mark-paid`).set(auth).send({}).expect(200);
    // Two more sales paid out together; a refund takes one out of the pending payout (payout.amended), then it is canceled.
    for (const key of ['o2', 'o3']) {
      const next = await server.http.get(`/${handle}/s1`).set(browser).expect(302);
      const sale = { ctx: new URL(next.headers.location).searchParams.get('ctx'), eventType: 'affiliate_click', value: 20, currency: 'USD', idempotencyKey: key };
      await server.http.post('/v2/public/conversions').set(auth).send(sale).expect(201);
    }
    const owed = (await server.http.get(`${base}/commissions?status=pending`).set(auth).expect(200)).body.data.map((c: { commissionId: string }) => c.commissionId);
    if (owed.length) await server.http.post(`${base}/commissions/bulk`).set(auth).send({ commissionIds: owed, status: 'approved', reason: 'checked' }).expect(200);
    const second = await server.http.post(`${base}/payouts`).set(auth).send({ idempotencyKey: 'p2' }).expect(201);
    expect(second.body.data.map((p: { commissionCount: number }) => p.commissionCount)).to.deep.equal([2]);
    await server.http.post(`${base}/conversions/reversals`).set(auth).send({ idempotencyKey: 'o2', reversalKey: 'r2', reason: 'refund' }).expect(201);
    await server.http.post(`${base}/payouts/${second.body.data[0].payoutId}/cancel`).set(auth).expect(200);

    await receiver.waitFor(
      (r) => EVENT_TYPES.every((t) => r.some((x) => JSON.parse(x.body).type === t)),
      15_000,
      'one event of every type',
    );
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', ...doc });
    const local = (schema: object) => JSON.parse(JSON.stringify(schema).replace(/"#\/components/g, '"doc#/components')) as object;
    const verifier = new Webhook(hook.body.secret);
    for (const r of receiver.received) {
      const event = JSON.parse(r.body) as { type: string };
      const validate = ajv.compile(local(doc.webhooks![event.type].post.requestBody.content['application/json'].schema));
      expect(validate(event), `${event.type}: ${JSON.stringify(validate.errors)}\n${r.body}`).to.equal(true);
      verifier.verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });
    }
    // The second payout: 2 lines of 2.00, amended to one when o2 was refunded whole, then canceled as it stood.
    const of = (type: string) => receiver.received.map((r) => JSON.parse(r.body)).filter((e) => e.type === type && e.data.payoutId === second.body.data[0].payoutId)
      .map((e) => ({ status: e.data.status, amount: e.data.amount, commissionCount: e.data.commissionCount, previous: e.data.previous }));
    expect(of('payout.amended')).to.deep.equal([{ status: 'pending', amount: 2, commissionCount: 1, previous: { amount: 4, commissionCount: 2 } }]);
    expect(of('payout.canceled')).to.deep.equal([{ status: 'canceled', amount: 2, commissionCount: 1, previous: undefined }]);
  });
});
