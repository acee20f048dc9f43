import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, verify, type Receiver } from '../support/webhooks.ts';

// Black-box pass: a notification channel whose deliver() resolved to something other than a
// DeliveryResult (undefined, no latencyMs, NaN, a string status code, a NUL in its error) made the
// attempt throw (or its batched INSERT fail) after the send: no attempt was recorded, the delivery
// sat `pending` with an empty attempts list in the panel and no log line, and every other delivery
// recorded in the same statement (other webhooks, other handles) was lost with it.
describe('Notification channels: a malformed DeliveryResult is recorded as an attempt, never a stuck delivery', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({
      redis: false,
      env: { WEBHOOK_RETRY_BASE_MS: '60000', PLUGINS: './test/fixtures/plugins/malformed-channel/index.ts' },
    });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  async function subscribe(handle: string, auth: { Authorization: string }, channel: string, endpointUrl: string) {
    const res = await server.http
      .post(`/v2/handles/${handle}/webhooks`)
      .set(auth)
      .send({ endpointUrl, eventTypes: ['webhook.ping'], channel })
      .expect(201);
    return res.body.webhookId as string;
  }

  const ping = async (handle: string, auth: { Authorization: string }, webhookId: string) =>
    (await server.http.post(`/v2/handles/${handle}/webhooks/${webhookId}/ping`).set(auth).expect(202)).body.deliveryId as string;

  const firstAttempt = (deliveryId: string) =>
    eventually(
      async () => {
        const { rows } = await server.sql.query(
          `select a.status_code, a.latency_ms, a.error, d.status from delivery_attempts a join deliveries d using (delivery_id) where a.delivery_id = $1`,
          [deliveryId],
        );
        return rows[0];
      },
      8_000,
      `an attempt of ${deliveryId}`,
    );

  const cases: Array<[string, { status: string; statusCode: number | null; error: RegExp | null }]> = [
    ['undefined', { status: 'retrying', statusCode: null, error: /^other:channel/ }],
    ['no-latency', { status: 'retrying', statusCode: 502, error: /^http_502$/ }],
    ['nan-latency', { status: 'retrying', statusCode: 503, error: /^http_503$/ }],
    ['string-status', { status: 'succeeded', statusCode: null, error: null }],
    ['nul-error', { status: 'retrying', statusCode: null, error: /^refused.?by peer$/ }],
    ['huge-latency', { status: 'succeeded', statusCode: 200, error: null }],
  ];
  for (const [mode, want] of cases) {
    it(`${mode}: the attempt is recorded (${want.status}) with a sane latency`, async () => {
      const { handle, auth } = await createHandle(server);
      const deliveryId = await ping(handle, auth, await subscribe(handle, auth, 'malformed-channel', `${receiver.url}?mode=${mode}`));
      const row = await firstAttempt(deliveryId);
      expect(row.status).to.equal(want.status);
      expect(row.status_code).to.equal(want.statusCode);
      expect(row.latency_ms).to.be.a('number').within(0, 2_147_483_647);
      if (want.error) expect(row.error).to.match(want.error).and.not.include('\u0000');
      else expect(row.error).to.equal(null);
      const panel = await server.http.get(`/v2/handles/${handle}/notifications`).set(auth).expect(200);
      expect(panel.body.data[0].attempts).to.have.length(1);
    });
  }

  // Black-box pass: a channel that threw (or was cut off at the deadline) was recorded with latency 0 ms.
  it('throws-late: the attempt records the time the channel took to fail, not 0 ms', async () => {
    const { handle, auth } = await createHandle(server);
    const deliveryId = await ping(handle, auth, await subscribe(handle, auth, 'malformed-channel', `${receiver.url}?mode=throws-late`));
    const row = await firstAttempt(deliveryId);
    expect(row).to.include({ status: 'retrying', status_code: null, error: 'other:channel' });
    expect(row.latency_ms).to.be.within(350, 5_000);
  });

  it("hands a channel the kernel's Standard Webhooks headers for a small body too: it signs nothing itself", async () => {
    const { handle, auth } = await createHandle(server);
    const created = await server.http.post(`/v2/handles/${handle}/webhooks`).set(auth)
      .send({ endpointUrl: `${receiver.url}?mode=plain`, eventTypes: ['webhook.ping'], channel: 'malformed-channel' }).expect(201);
    const deliveryId = await ping(handle, auth, created.body.webhookId);
    await receiver.waitFor((r) => r.some((x) => x.id === deliveryId), 8_000, 'the ping');
    const [got] = receiver.byId(deliveryId);
    expect(got.body.length).to.be.below(1024);
    expect(verify(created.body.secret, got)).to.include({ type: 'webhook.ping' });
  });

  it("another handle's delivery recorded in the same moment is not lost with a malformed one", async () => {
    const a = await createHandle(server);
    const b = await createHandle(server);
    const bad = await subscribe(a.handle, a.auth, 'malformed-channel', `${receiver.url}?mode=nan-latency`);
    const good = await subscribe(b.handle, b.auth, 'webhook', `${receiver.url}?good`);
    const [badId, goodId] = await Promise.all([ping(a.handle, a.auth, bad), ping(b.handle, b.auth, good)]);
    await receiver.waitFor((r) => r.some((x) => x.id === goodId), 8_000, 'the good delivery');
    expect((await firstAttempt(goodId)).status).to.equal('succeeded');
    expect((await firstAttempt(badId)).status).to.equal('retrying');
  });
});
