import { expect } from 'chai';
import { promises as dns } from 'node:dns';
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { createSecretBox } from '../../core/notifications/secret-box.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { conversionData, deliveryOf, emit, eventually, startReceiver, type Receiver } from '../support/webhooks.ts';

describe('webhook SSRF guard (WEBHOOK_ALLOW_PRIVATE=false)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ redis: false, env: { WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_RETRY_BASE_MS: '50' } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  it('refuses loopback, private, link-local, CGNAT, metadata and plain-http endpoints with 400 endpoint_not_allowed', async () => {
    const tenant = await createHandle(server);
    const refused = [
      'https://127.0.0.1/hook', 'https://localhost/hook', 'https://[::1]/hook', 'https://10.1.2.3/hook', 'https://192.168.1.10/hook',
      'https://172.16.0.5/hook', 'https://169.254.169.254/latest/meta-data/', 'https://169.254.10.1/hook', 'https://100.64.0.1/hook',
      'https://metadata.google.internal/computeMetadata/v1/', 'https://[::ffff:127.0.0.1]/hook', 'http://example.com/hook', receiver.url,
    ];
    for (const endpointUrl of refused) {
      const res = await server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth).send({ endpointUrl, eventTypes: ['conversion.tested'] });
      expect(res.status, endpointUrl).to.equal(400);
      expect(res.body.error.code, endpointUrl).to.equal('endpoint_not_allowed');
      expect(res.body.error.message, endpointUrl).to.be.a('string').and.not.equal('');
    }
    expect((await server.sql.query('select 1 from webhooks where handle = $1', [tenant.handle])).rows).to.have.length(0);
  });

  // Issue 12 item 8.
  it('never reveals what a host resolved to: the same answer as for a name that does not exist', async function () {
    const tenant = await createHandle(server);
    const name = hostname();
    const resolved = await dns.lookup(name, { all: true }).catch(() => []);
    if (!resolved.some((a) => a.address.startsWith('127.'))) this.skip(); // the machine's own name must resolve to loopback here
    const create = (endpointUrl: string) => server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth).send({ endpointUrl, eventTypes: ['conversion.tested'] });
    const internal = await create(`https://${name}/hook`).expect(400);
    expect(internal.body.error.code).to.equal('endpoint_not_allowed');
    for (const a of resolved) expect(internal.body.error.message).to.not.include(a.address);
    expect(JSON.stringify(internal.body)).to.not.match(/127\.0\.0\.1|loopback|resolves to/);
    const missing = await create('https://no-such-host.invalid/hook').expect(400);
    expect(missing.body.error.message.replace('no-such-host.invalid', name)).to.equal(internal.body.error.message);
  });

  it('refuses IPv4-mapped and Teredo addresses, and ports other than 80, 443 and 8443', async () => {
    const tenant = await createHandle(server);
    for (const endpointUrl of ['https://[::ffff:8.8.8.8]/hook', 'https://[::ffff:808:808]/hook', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook',
      'https://8.8.8.8:6379/hook', 'https://8.8.8.8:22/hook', 'https://[2606:4700::1111]:5432/hook']) {
      const res = await server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth).send({ endpointUrl, eventTypes: ['conversion.tested'] });
      expect(res.status, endpointUrl).to.equal(400);
      expect(res.body.error.code, endpointUrl).to.equal('endpoint_not_allowed');
      expect(res.body.error.details[0].pointer, endpointUrl).to.equal('/body/endpointUrl');
    }
  });

  it('re-checks at every send: a stored https loopback endpoint gets endpoint_not_allowed attempts, never a request', async () => {
    const tenant = await createHandle(server);
    const webhookId = uuidv7();
    // As if created while the operator allowed private endpoints: tenants cannot get here through the API.
    await server.sql.query(
      `insert into webhooks (webhook_id, handle, endpoint_url, event_types, secret_sealed) values ($1, $2, $3, $4, $5)`,
      [webhookId, tenant.handle, receiver.url.replace('http:', 'https:'), ['conversion.tested'], createSecretBox('test-secret-box-key').seal('whsec_' + Buffer.alloc(32, 1).toString('base64'))],
    );
    const eventId = await emit(server, tenant.handle, 'conversion.tested', conversionData());
    await eventually(async () => (await deliveryOf(server, eventId))?.status === 'failed', 10_000, 'the delivery to fail');
    const { rows } = await server.sql.query(
      'select a.error, a.status_code from delivery_attempts a join deliveries d using (delivery_id) where d.event_id = $1', [eventId]);
    expect(rows).to.have.length(6);
    expect(rows.every((r) => r.error === 'endpoint_not_allowed' && r.status_code === null)).to.equal(true);
    expect(receiver.received).to.have.length(0);
  });
});

