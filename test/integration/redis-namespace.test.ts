import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { startKernel } from '../../core/kernel.ts';
import { dropRedisKeys, TEST_REDIS_URL } from '../support/database.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, type Receiver } from '../support/webhooks.ts';

// Two deployments on one Redis, REDIS_PREFIX left empty (the default): each derives its namespace
// from its database, so neither takes the other's webhook jobs (a job taken by the other
// deployment's worker finds no delivery there; the delivery then waited a minute for the sweep).
describe('the default Redis namespace: one per database', function () {
  this.timeout(60_000);
  const derived = { REDIS_PREFIX: '' };
  let a: TestServer;
  let b: TestServer;
  let a2: TestServer;
  let rx: Receiver;
  before(async () => {
    [a, b] = await Promise.all([startTestServer({ env: derived }), startTestServer({ env: derived })]);
    a2 = await startTestServer({ db: a.db, env: derived });
    rx = await startReceiver();
  });
  after(async () => {
    await rx?.close();
    await a2?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('is shared by the processes of one deployment and differs between deployments', () => {
    const [pa, pb, pa2] = [a, b, a2].map((s) => s.kernel.config.redisPrefix);
    expect(pa).to.match(/^tenx-[0-9a-f]{8}$/);
    expect(pb).to.match(/^tenx-[0-9a-f]{8}$/);
    expect(pb).not.to.equal(pa);
    expect(pa2).to.equal(pa);
  });

  it('delivers each deployment its own webhooks at once, whichever worker is free', async () => {
    const send = async (server: TestServer, n: number) => {
      const t = await partnerCampaign(server);
      await server.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth).send({ endpointUrl: rx.url, eventTypes: ['conversion.tested'] }).expect(201);
      for (let i = 0; i < n; i++) {
        const { ctx } = await storedClick(server, t.handle, t.campaignId);
        await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 1, idempotencyKey: `k${i}` }).expect(201);
      }
    };
    await Promise.all([send(a, 10), send(b, 10), send(a2, 10)]);
    // Each is sent within seconds (a job lost to the other deployment would wait over a minute).
    await rx.waitFor((r) => r.length >= 30, 15_000, '30 deliveries');
    expect(new Set(rx.received.map((r) => r.id)).size).to.equal(30);
  });

  it('differs between embedded data directories (each made from the same shipped template), and survives a restart', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'tenx-ns-a-')), mkdtempSync(join(tmpdir(), 'tenx-ns-b-'))];
    const start = (dir: string) => startKernel(loadConfig({
      DATABASE_URL: '', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: '', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent',
      ADMIN_TOKEN: 'x-admin-0123456789abcdefghijklmnopqrstu', CTX_SECRETS: 'k-0123456789abcdef0123456789abcdef', SECRET_KEY: 's',
    }));
    try {
      const prefixes: string[] = [];
      for (const dir of [...dirs, dirs[0]]) {
        const kernel = await start(dir);
        prefixes.push(kernel.config.redisPrefix);
        await kernel.close();
      }
      expect(prefixes[0]).to.match(/^tenx-[0-9a-f]{8}$/);
      expect(prefixes[1]).not.to.equal(prefixes[0]);
      expect(prefixes[2]).to.equal(prefixes[0]);
      for (const prefix of new Set(prefixes)) await dropRedisKeys(`${prefix}:`);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
