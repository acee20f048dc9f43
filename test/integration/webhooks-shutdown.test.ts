import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createHandle, startTestServer } from '../support/server.ts';
import { emit, eventually } from '../support/webhooks.ts';

/** An endpoint that takes each request and never answers (until closed): a send in flight when the server stops. */
async function silentEndpoint() {
  const held: { id: string; res: http.ServerResponse }[] = [];
  const server = http.createServer((req, res) => void held.push({ id: String(req.headers['webhook-id']), res }));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    held,
    close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
}

// A webhook send still waiting on its endpoint when the server stops held the shutdown for the whole WEBHOOK_TIMEOUT_MS
// (10 s, as long as SHUTDOWN_TIMEOUT_MS: `tenx serve` logged "graceful shutdown timed out" and exited 1), and the
// attempt went unrecorded. It is cut off before the shutdown deadline instead, recorded as `interrupted`, and left to
// be sent again at once by another process or the next start, without spending one of the delivery's attempts.
for (const mode of [{ name: 'BullMQ on Redis', redis: true }, { name: 'in process, no Redis', redis: false }]) {
  describe(`a webhook send in flight at shutdown (${mode.name})`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let sql: pg.Pool;
    before(async () => {
      db = await createTestDatabase({ migrated: true });
      sql = new pg.Pool({ connectionString: db.url, max: 2 });
    });
    after(async () => {
      await sql.end();
      await db.drop();
    });

    it('is cut off before the shutdown deadline, recorded as interrupted without spending an attempt, and sent again by the next server', async () => {
      const endpoint = await silentEndpoint();
      const env = { SHUTDOWN_TIMEOUT_MS: '3000', WEBHOOK_TIMEOUT_MS: '10000' };
      const server = await startTestServer({ db, redis: mode.redis, env });
      let next: Awaited<ReturnType<typeof startTestServer>> | undefined;
      try {
        const tenant = await createHandle(server);
        await server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth)
          .send({ endpointUrl: endpoint.url, eventTypes: ['conversion.tested'] }).expect(201);
        const eventId = await emit(server, tenant.handle, 'conversion.tested', { n: 1 });
        await eventually(async () => endpoint.held.length === 1, 10_000, 'the send to reach the endpoint');

        const started = performance.now();
        await server.close();
        const tookMs = performance.now() - started;
        expect(tookMs, 'the stop waited for the endpoint').to.be.below(3000);

        const { rows: [delivery] } = await sql.query('select delivery_id, status, attempt_count, attempts_in_cycle, next_attempt_at from deliveries where event_id = $1', [eventId]);
        expect(delivery).to.include({ status: 'retrying', attempt_count: 1, attempts_in_cycle: 0 });
        expect(delivery.next_attempt_at.getTime()).to.be.at.most(Date.now());
        const { rows: attempts } = await sql.query('select attempt, error, status_code from delivery_attempts where delivery_id = $1', [delivery.delivery_id]);
        expect(attempts).to.deep.equal([{ attempt: 1, error: 'interrupted', status_code: null }]);

        // The next server (a restart) sends it again; the endpoint gets it a second time, with the same webhook-id.
        next = await startTestServer({ db, redis: mode.redis, env });
        await eventually(async () => endpoint.held.length === 2, 15_000, 'the send again after the restart');
        expect(endpoint.held[1].id).to.equal(endpoint.held[0].id);
      } finally {
        await endpoint.close();
        await next?.close();
      }
    });
  });
}
