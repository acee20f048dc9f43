import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, type Receiver } from '../support/webhooks.ts';
import { dropRedisKeys } from '../support/database.ts';

const TIMEOUT_MS = 1500;

/** An endpoint that takes every request and never answers (until closed). */
async function startHangingEndpoint() {
  const pending = new Set<http.ServerResponse>();
  const server = http.createServer((_req, res) => {
    pending.add(res);
    res.on('close', () => pending.delete(res));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`,
    inFlight: () => pending.size,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

for (const mode of [{ name: 'BullMQ on Redis', redis: true }, { name: 'in process, no Redis', redis: false }]) {
  describe(`webhooks: one tenant's slow endpoint cannot delay the others (${mode.name})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let receiver: Receiver;
    let hanging: Awaited<ReturnType<typeof startHangingEndpoint>>;

    before(async () => {
      server = await startTestServer({
        redis: mode.redis,
        env: {
          WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), WEBHOOK_RETRY_BASE_MS: '600000',
          WEBHOOK_CONCURRENCY: '6', WEBHOOK_CONCURRENCY_PER_HANDLE: '3', WEBHOOK_CONCURRENCY_PER_ENDPOINT: '2', WEBHOOK_MAX_PER_HANDLE: '3',
        },
      });
      receiver = await startReceiver();
      hanging = await startHangingEndpoint();
    });
    after(async () => {
      await hanging?.close();
      await receiver?.close();
      await server?.close();
      if (mode.redis && server) await dropRedisKeys(`tenx-test-${server.db.name}:`);
    });

    const subscribe = (h: { handle: string; auth: Record<string, string> }, url: string) =>
      server.http.post(`/v2/handles/${h.handle}/webhooks`).set(h.auth).send({ endpointUrl: url, eventTypes: ['webhook.ping'] });
    /** Milliseconds from asking for a ping to the receiver having it. */
    const pingLatency = async (h: { handle: string; auth: Record<string, string> }, webhookId: string) => {
      const started = Date.now();
      const { body } = await server.http.post(`/v2/handles/${h.handle}/webhooks/${webhookId}/ping`).set(h.auth).expect(202);
      await receiver.waitFor((r) => r.some((x) => x.id === body.deliveryId), 30_000, `ping ${body.deliveryId}`);
      return receiver.byId(body.deliveryId)[0].at - started;
    };

    it('limits webhooks per handle (422 too_many_webhooks), even when created concurrently', async () => {
      const h = await createHandle(server);
      const results = await Promise.all(Array.from({ length: 6 }, () => subscribe(h, receiver.url)));
      expect(results.map((r) => r.status).sort()).to.deep.equal([201, 201, 201, 422, 422, 422]);
      const refused = results.find((r) => r.status === 422)!;
      expect(refused.body.error.code).to.equal('too_many_webhooks');
      const one = results.find((r) => r.status === 201)!.body.webhookId;
      await server.http.delete(`/v2/handles/${h.handle}/webhooks/${one}`).set(h.auth).expect(200);
      expect((await subscribe(h, receiver.url)).status).to.equal(201);
    });

    it('delivers another handle\'s ping, and the same handle\'s other webhook, as fast with a hanging endpoint flooded', async () => {
      const a = await createHandle(server);
      const b = await createHandle(server);
      const slow = (await subscribe(a, hanging.url).expect(201)).body.webhookId;
      const aHealthy = (await subscribe(a, receiver.url).expect(201)).body.webhookId;
      const bHook = (await subscribe(b, receiver.url).expect(201)).body.webhookId;
      // Baselines, measured in this run before any flood.
      const baseline = Math.max(await pingLatency(b, bHook), await pingLatency(a, aHealthy));

      // 30 deliveries to an endpoint that never answers: without fairness they take every send slot
      // (6) for TIMEOUT_MS at a time, five rounds in a row.
      for (let i = 0; i < 30; i++) await server.http.post(`/v2/handles/${a.handle}/webhooks/${slow}/ping`).set(a.auth).expect(202);
      const deadline = Date.now() + 10_000;
      while (hanging.inFlight() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(hanging.inFlight()).to.be.at.least(2);

      const [other, sameHandle] = await Promise.all([pingLatency(b, bHook), pingLatency(a, aHealthy)]);
      console.log(`      ping latency: baseline ${baseline} ms; other handle ${other} ms, same handle ${sameHandle} ms with the flood`);
      // Generous: not even one send timeout of the flood may be waited for.
      expect(other).to.be.below(baseline + TIMEOUT_MS);
      expect(sameHandle).to.be.below(baseline + TIMEOUT_MS);
      // And the slow endpoint itself never had more than its share in flight.
      expect(hanging.inFlight()).to.be.at.most(2);
    });
  });
}
