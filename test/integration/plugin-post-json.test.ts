import { expect } from 'chai';
import { promises as dns } from 'node:dns';
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { createSecretBox } from '../../core/notifications/secret-box.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, type Receiver } from '../support/webhooks.ts';

// Issue 12 item 11: a channel plugin posts with PluginApi.postJson, so the kernel's SSRF guard
// applies to it at every send (the discord example used fetch and reached internal hosts).
describe('PluginApi.postJson: example channels post through the SSRF guard (WEBHOOK_ALLOW_PRIVATE=false)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ redis: false, env: { WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_RETRY_BASE_MS: '50', PLUGINS: './plugins/examples/discord/index.ts' } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  /** A subscription as if created while the operator allowed private endpoints: the API refuses it now. */
  async function storedSubscription(handle: string, channel: string, endpointUrl: string) {
    const webhookId = uuidv7();
    await server.sql.query(
      `insert into webhooks (webhook_id, handle, channel, endpoint_url, event_types, secret_sealed) values ($1, $2, $3, $4, $5, $6)`,
      [webhookId, handle, channel, endpointUrl, ['webhook.ping'], createSecretBox('test-secret-box-key').seal('whsec_' + Buffer.alloc(32, 1).toString('base64'))],
    );
    return webhookId;
  }

  async function attemptsOfPing(handle: string, auth: { Authorization: string }, webhookId: string) {
    const ping = await server.http.post(`/v2/handles/${handle}/webhooks/${webhookId}/ping`).set(auth).expect(202);
    const deliveryId = ping.body.deliveryId as string;
    return eventually(async () => {
      const { rows } = await server.sql.query('select error from delivery_attempts where delivery_id = $1', [deliveryId]);
      return rows.length > 0 && rows;
    }, 10_000, 'an attempt');
  }

  for (const channel of ['discord', 'slack', 'webhook']) {
    it(`${channel}: a stored endpoint whose host resolves to loopback gets endpoint_not_allowed, never a request`, async function () {
      const name = hostname();
      const resolved = await dns.lookup(name, { all: true }).catch(() => []);
      if (!resolved.some((a) => a.address.startsWith('127.'))) this.skip();
      const { handle, auth } = await createHandle(server);
      if (channel !== 'webhook') await server.http.put(`/v2/handles/${handle}/plugins/${channel}`).set(auth).send({ enabled: true }).expect(200);
      // Port 443 of this machine: a send that bypassed the guard would get connection_refused or a TLS error.
      const rows = await attemptsOfPing(handle, auth, await storedSubscription(handle, channel, `https://${name}/hook`));
      expect(rows[0].error).to.equal('endpoint_not_allowed');
    });
  }

  it('discord: a stored plain-http loopback endpoint is refused too, and the receiver hears nothing', async () => {
    const { handle, auth } = await createHandle(server);
    await server.http.put(`/v2/handles/${handle}/plugins/discord`).set(auth).send({ enabled: true }).expect(200);
    const rows = await attemptsOfPing(handle, auth, await storedSubscription(handle, 'discord', `${receiver.url}/discord`));
    expect(rows[0].error).to.equal('endpoint_not_allowed');
    expect(receiver.received).to.have.length(0);
  });
});
