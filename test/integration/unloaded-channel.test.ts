import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createHandle, startTestServer } from '../support/server.ts';

// An integrator's pass: restarted without a channel plugin, its subscriptions stayed listed and every delivery failed
// with channel_disabled, and nothing said so. The server now says it at start, once per such channel.
describe('a restart without a channel plugin that webhooks use', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  before(async () => (db = await createTestDatabase({ migrated: true })));
  after(async () => db?.drop());

  it('warns at start naming the channel and how many subscriptions use it; not for loaded channels or postbacks', async () => {
    const first = await startTestServer({ db, redis: false, env: { PLUGINS: './plugins/examples/discord/index.ts' } });
    let handle: string;
    try {
      const tenant = await createHandle(first);
      handle = tenant.handle;
      await first.http.put(`/v2/handles/${handle}/plugins/discord`).set(tenant.auth).send({ enabled: true }).expect(200);
      for (const channel of ['discord', 'discord', 'webhook']) {
        await first.http.post(`/v2/handles/${handle}/webhooks`).set(tenant.auth)
          .send({ endpointUrl: 'https://hooks.example.com/x', eventTypes: ['webhook.ping'], channel }).expect(201);
      }
      await first.http.post(`/v2/handles/${handle}/partners`).set(tenant.auth).send({ partnerId: 'alpha', name: 'Alpha' }).expect(201);
      const partner = await first.http.post(`/v2/handles/${handle}/partners/alpha/tokens`).set(tenant.auth)
        .send({ name: 'portal', scopes: ['partner.read', 'partner.postbacks.write'] }).expect(201);
      await first.http.post(`/v2/handles/${handle}/partner/postbacks`).set({ Authorization: `Bearer ${partner.body.token}` })
        .send({ urlTemplate: 'https://partner.example.com/pb?c={conversion_id}', events: ['commission.created'] }).expect(201);
    } finally {
      await first.close();
    }

    const lines: Array<{ msg?: string; channel?: string; subscriptions?: number }> = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const second = await startTestServer({ db, redis: false, log: pino({ level: 'warn' }, sink) });
    await second.close();
    const said = lines.filter((l) => l.msg?.startsWith('webhook subscriptions use a notification channel this server did not load'));
    expect(said.map(({ channel, subscriptions }) => ({ channel, subscriptions }))).to.deep.equal([{ channel: 'discord', subscriptions: 2 }]);
  });
});
