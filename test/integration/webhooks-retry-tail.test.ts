import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, type Receiver } from '../support/webhooks.ts';
import { dropRedisKeys } from '../support/database.ts';

// Issue 18 item 5. At WEBHOOK_RETRY_BASE_MS=2 the seed's retries wait 2..32 ms and the tail's
// "hour" is 3_600_000 × 2 / 5000 = 1440 ms; a 3h tail adds three attempts.
const BASE_MS = 2;
const TAIL_HOUR_MS = 1440;

for (const mode of [{ name: 'BullMQ on Redis', redis: true }, { name: 'in process, no Redis', redis: false }]) {
  describe(`webhook retry tail (${mode.name})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let receiver: Receiver;

    before(async () => {
      server = await startTestServer({ redis: mode.redis, env: { WEBHOOK_RETRY_BASE_MS: String(BASE_MS), WEBHOOK_RETRY_TAIL: '3h' } });
      receiver = await startReceiver(() => 503);
    });
    after(async () => {
      await receiver?.close();
      await server?.close();
      if (mode.redis && server) await dropRedisKeys(`tenx-test-${server.db.name}:`);
    });

    it('keeps retrying hourly past the fifth retry for a webhook that opted in, and not for one that did not', async () => {
      const h = await createHandle(server);
      const subscribe = async (retryTail?: boolean) => {
        const res = await server.http.post(`/v2/handles/${h.handle}/webhooks`).set(h.auth)
          .send({ endpointUrl: receiver.url, eventTypes: ['webhook.ping'], ...(retryTail === undefined ? {} : { retryTail }) }).expect(201);
        return res.body;
      };
      const tail = await subscribe(true);
      const plain = await subscribe();
      expect(tail.retryTail).to.equal(true);
      expect(plain.retryTail).to.equal(false);
      // An existing subscription opts in and out in place.
      const patch = (id: string, body: object) => server.http.patch(`/v2/handles/${h.handle}/webhooks/${id}`).set(h.auth).send(body);
      expect((await patch(plain.webhookId, { retryTail: true }).expect(200)).body).to.include({ webhookId: plain.webhookId, retryTail: true });
      expect((await patch(plain.webhookId, { retryTail: false }).expect(200)).body.retryTail).to.equal(false);
      // An empty PATCH changes nothing: a 400 naming the field (ajv's default once filled it in as false).
      await patch(tail.webhookId, { retryTail: true }).expect(200);
      const empty = await patch(tail.webhookId, {}).expect(400);
      expect(empty.body.error.code).to.equal('invalid_request');
      expect(empty.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/body/retryTail');
      expect((await server.http.get(`/v2/handles/${h.handle}/webhooks/${tail.webhookId}`).set(h.auth).expect(200)).body.retryTail).to.equal(true);
      expect((await patch(plain.webhookId, { endpointUrl: 'https://x.example' }).expect(400)).body.error.code).to.equal('invalid_request');
      await patch('00000000-0000-7000-8000-000000000000', { retryTail: true }).expect(404);
      const other = await createHandle(server);
      await server.http.patch(`/v2/handles/${other.handle}/webhooks/${plain.webhookId}`).set(other.auth).send({ retryTail: true }).expect(404);
      const ping = async (webhookId: string) =>
        (await server.http.post(`/v2/handles/${h.handle}/webhooks/${webhookId}/ping`).set(h.auth).expect(202)).body.deliveryId as string;
      const [withTail, without] = [await ping(tail.webhookId), await ping(plain.webhookId)];
      const final = (id: string) => eventually(async () => {
        const { rows } = await server.sql.query(`select status, attempt_count from deliveries where delivery_id = $1`, [id]);
        return rows[0]?.status === 'failed' ? rows[0] : null;
      }, 30_000, `delivery ${id} failed`);

      expect(await final(without)).to.deep.equal({ status: 'failed', attempt_count: 6 });
      expect(receiver.byId(without)).to.have.length(6);
      // Past the fifth retry the opted-in delivery is still retrying, not failed.
      const { rows } = await server.sql.query(`select status from deliveries where delivery_id = $1`, [withTail]);
      expect(rows[0].status).to.equal('retrying');

      expect(await final(withTail)).to.deep.equal({ status: 'failed', attempt_count: 9 });
      const at = receiver.byId(withTail).map((r) => r.at);
      expect(at).to.have.length(9);
      const tailGaps = at.slice(6).map((t, i) => t - at[5 + i]);
      for (const gap of tailGaps) expect(gap).to.be.within(TAIL_HOUR_MS - 50, TAIL_HOUR_MS + 1500);
    });
  });
}
