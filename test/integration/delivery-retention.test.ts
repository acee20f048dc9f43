import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import type { DeliveryRetention } from '../../core/notifications/retention.ts';
import { count } from '../support/conversions.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

const DAY_MS = 86_400_000;

describe('webhook delivery retention (DELIVERY_RETENTION_DAYS)', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  let webhookId: string;
  const retention = () => server.kernel.container.resolve<DeliveryRetention>('deliveryRetention');

  /** A delivery row as the engine leaves it, `ageDays` old, with one attempt. */
  async function delivery(status: string, ageDays: number): Promise<string> {
    const id = uuidv7();
    const at = new Date(Date.now() - ageDays * DAY_MS);
    const finished = status === 'succeeded' || status === 'failed';
    await server.sql.query(
      `insert into deliveries (delivery_id, webhook_id, handle, event_id, event_type, body, status, attempt_count, event_created_at, created_at, updated_at, completed_at)
       values ($1, $2, $3, $4, 'webhook.ping', '{}', $5, 1, $6, $6, $6, $7)`,
      [id, webhookId, h.handle, uuidv7(), status, at, finished ? at : null],
    );
    await server.sql.query(`insert into delivery_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms) values ($1, 1, $2, 500, 12)`, [id, at]);
    return id;
  }

  before(async () => {
    server = await startTestServer({ env: { DELIVERY_RETENTION_DAYS: '30' } });
    h = await createHandle(server);
    const res = await server.http.post(`/v2/handles/${h.handle}/webhooks`).set(h.auth)
      .send({ endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['conversion.tested'] }).expect(201);
    webhookId = res.body.webhookId;
  });
  after(async () => server?.close());

  it('purges finished deliveries older than the retention with their attempts, and keeps everything owed a send', async () => {
    const oldSucceeded = await delivery('succeeded', 40);
    const oldFailed = await delivery('failed', 31);
    const recentFailed = await delivery('failed', 29);
    const oldPending = await delivery('pending', 200);
    const oldRetrying = await delivery('retrying', 45);

    // Batches of 1: the loop runs until a batch comes back short.
    expect(await retention().purgeExpired({ batchSize: 1 })).to.equal(2);

    const { rows } = await server.sql.query('select delivery_id from deliveries where handle = $1 order by delivery_id', [h.handle]);
    expect(rows.map((r) => r.delivery_id)).to.have.members([recentFailed, oldPending, oldRetrying]);
    expect(await count(server, 'delivery_attempts where delivery_id = any($1::uuid[])', [[oldSucceeded, oldFailed]])).to.equal(0);
    expect(await count(server, 'delivery_attempts where delivery_id = any($1::uuid[])', [[recentFailed, oldPending, oldRetrying]])).to.equal(3);

    // The panel shows what is left; a second run finds nothing.
    const panel = await server.http.get(`/v2/handles/${h.handle}/notifications`).set(h.auth).expect(200);
    expect(panel.body.data.map((d: { deliveryId: string }) => d.deliveryId)).to.have.members([recentFailed, oldPending, oldRetrying]);
    expect(await retention().purgeExpired()).to.equal(0);
  });

  it('runs daily as a BullMQ repeatable job when Redis is configured', async () => {
    expect(retention().mode).to.equal('bullmq');
    expect(retention().retentionDays).to.equal(30);
    const scheduler = await retention().jobQueue!.getJobScheduler('purge-finished-deliveries');
    expect(scheduler).to.include({ every: DAY_MS });
  });
});
