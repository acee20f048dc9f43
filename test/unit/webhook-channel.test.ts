import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { OutgoingNotification, PluginApi } from '../../core/plugins/sdk.ts';
import { generateSecret } from '../../core/notifications/signing.ts';
import webhook from '../../plugins/notification-channels/webhook/index.ts';
import slack, { slackText } from '../../plugins/notification-channels/slack/index.ts';
import { guardedPluginApi } from '../support/plugin-api.ts';

interface Received { method?: string; url?: string; headers: IncomingHttpHeaders; body: string; clientPort?: number }

/** A real receiver on 127.0.0.1:0; `answer` decides each response (never answering is allowed). */
async function receiver(answer: (res: ServerResponse, got: Received) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), clientPort: req.socket.remotePort };
      received.push(got);
      answer(res, got);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return { url, received, stop };
}

const warnings: object[] = [];
// Channels post through PluginApi.postJson: the operator's policy lives in the api, not in settings.
const dev = {};
const devApi = guardedPluginApi(true, warnings);
const guardedApi = guardedPluginApi(false, warnings);
const api: PluginApi = devApi.api;
const secret = generateSecret();

function notification(endpointUrl: string, over: Partial<OutgoingNotification> = {}): OutgoingNotification {
  const event = { id: 'evt_1', type: 'conversion.tested', createdAt: '2026-02-25T12:00:00.000Z', handle: 'acme',
    data: { clickId: 'clk_1', campaignId: 'partner-alpha', conversionId: 'cnv_1', value: 24.99, currency: 'USD', eventType: 'sale' } };
  return { deliveryId: 'dlv_1', endpointUrl, body: JSON.stringify(event), secrets: [secret], timeoutMs: 2000, event, ...over };
}

describe('notification channels: webhook', () => {
  after(async () => { await devApi.close(); await guardedApi.close(); });

  it('POSTs the exact body, signed so a Standard Webhooks receiver verifies it', async () => {
    const r = await receiver((res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    try {
      const n = notification(`${r.url}/hooks/tenx`);
      const result = await webhook.deliver(n, dev, api);
      expect(result).to.include({ ok: true, statusCode: 200, responseSnippet: 'ok' });
      expect(result.error).to.equal(undefined);
      expect(result.latencyMs).to.be.a('number').that.is.at.least(0);
      const [got] = r.received;
      expect(got).to.include({ method: 'POST', url: '/hooks/tenx', body: n.body });
      expect(got.headers).to.include({ 'content-type': 'application/json', 'user-agent': 'tenx-webhooks/1', 'webhook-id': 'dlv_1' });
      expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).to.be.below(5);
      expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).to.deep.equal(JSON.parse(n.body));
    } finally {
      await r.stop();
    }
  });

  it('reuses keep-alive connections across sends', async () => {
    const r = await receiver((res) => res.end());
    try {
      for (let i = 0; i < 6; i++) {
        expect((await webhook.deliver(notification(r.url, { deliveryId: `dlv_k${i}` }), dev, api)).ok).to.equal(true);
      }
      // Few client ports on the receiver's side mean pooled connections carried the six sends (undici
      // may open a second while the first is still being released).
      expect(r.received).to.have.length(6);
      expect(new Set(r.received.map((g) => g.clientPort)).size).to.be.at.most(2);
    } finally {
      await r.stop();
    }
  });

  it('a 500 is a failure with its status and the start of the body', async () => {
    const r = await receiver((res) => res.writeHead(500).end('{"error":"database down"}'));
    try {
      const result = await webhook.deliver(notification(r.url), dev, api);
      expect(result).to.include({ ok: false, statusCode: 500, error: 'http_500', responseSnippet: '{"error":"database down"}' });
    } finally {
      await r.stop();
    }
  });

  it('keeps at most 1 KiB of a large response', async () => {
    const r = await receiver((res) => res.writeHead(200).end('x'.repeat(256 * 1024)));
    try {
      const result = await webhook.deliver(notification(r.url), dev, api);
      expect(result.ok).to.equal(true);
      expect(result.responseSnippet).to.have.length(1024);
    } finally {
      await r.stop();
    }
  });

  it('does not follow a redirect: a 302 is a failure', async () => {
    const r = await receiver((res, got) => (got.url === '/moved' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.end('followed')));
    try {
      const result = await webhook.deliver(notification(`${r.url}/moved`), dev, api);
      expect(result).to.include({ ok: false, statusCode: 302, error: 'http_302' });
      expect(r.received.map((g) => g.url)).to.deep.equal(['/moved']);
    } finally {
      await r.stop();
    }
  });

  it('a receiver that never answers is a timeout after timeoutMs', async () => {
    const r = await receiver(() => {});
    try {
      const result = await webhook.deliver(notification(r.url, { timeoutMs: 300 }), dev, api);
      expect(result).to.include({ ok: false, error: 'timeout' });
      expect(result.statusCode).to.equal(undefined);
      expect(result.latencyMs).to.be.within(250, 1500);
    } finally {
      await r.stop();
    }
  });

  it('a closed port is connection_refused', async () => {
    const r = await receiver((res) => res.end());
    await r.stop();
    const result = await webhook.deliver(notification(r.url), dev, api);
    expect(result).to.include({ ok: false, error: 'connection_refused' });
  });

  it('an unresolvable host is dns', async () => {
    expect(await webhook.deliver(notification('http://no-such-host.invalid/'), dev, api)).to.include({ ok: false, error: 'dns' });
    expect(await webhook.deliver(notification('https://no-such-host.invalid/'), {}, guardedApi.api)).to.include({ ok: false, error: 'dns' });
  });

  it('https to a server that does not speak TLS is tls', async () => {
    const r = await receiver((res) => res.end());
    try {
      const result = await webhook.deliver(notification(r.url.replace('http:', 'https:')), dev, api);
      expect(result).to.include({ ok: false, error: 'tls' });
    } finally {
      await r.stop();
    }
  });

  it('without allowPrivate the SSRF guard refuses a loopback endpoint before any request', async () => {
    const r = await receiver((res) => res.end());
    warnings.length = 0;
    try {
      for (const url of [r.url, r.url.replace('http:', 'https:'), r.url.replace('127.0.0.1', 'localhost').replace('http:', 'https:')]) {
        expect(await webhook.deliver(notification(url), {}, guardedApi.api), url).to.include({ ok: false, error: 'endpoint_not_allowed' });
        // A tenant's settings cannot widen the operator's policy.
        expect(await webhook.deliver(notification(url), { allowPrivate: true }, guardedApi.api), url).to.include({ ok: false, error: 'endpoint_not_allowed' });
      }
      expect(r.received).to.have.length(0);
      expect(warnings[0]).to.have.property('reason').that.matches(/^The endpoint /);
    } finally {
      await r.stop();
    }
  });

  it('a malformed stored secret is a failed attempt, not a crash', async () => {
    const result = await webhook.deliver(notification('http://127.0.0.1:9/', { secrets: ['whsec_!!'] }), dev, api);
    expect(result).to.include({ ok: false, error: 'other:signing' });
  });

  it('slack also posts through the guard', async () => {
    const r = await receiver((res) => res.end());
    try {
      expect(await slack.deliver(notification(r.url.replace('http:', 'https:')), {}, guardedApi.api)).to.include({ ok: false, error: 'endpoint_not_allowed' });
      expect(r.received).to.have.length(0);
    } finally {
      await r.stop();
    }
  });

  it('declares a settings schema that keeps tenants from setting allowPrivate', () => {
    expect(webhook.settingsSchema).to.deep.include({ additionalProperties: false, properties: {} });
    expect(webhook).to.include({ name: 'webhook', version: '1.0.0', kind: 'notification-channel' });
  });
});

describe('notification channels: slack', () => {
  it('posts a one-line summary as {text} and is off unless a handle enables it', async () => {
    const r = await receiver((res) => res.writeHead(200).end('ok'));
    try {
      const result = await slack.deliver(notification(`${r.url}/services/T000/B000/XXX`), dev, api);
      expect(result).to.include({ ok: true, statusCode: 200, responseSnippet: 'ok' });
      expect(JSON.parse(r.received[0].body)).to.deep.equal({ text: 'conversion.tested for campaign partner-alpha: 24.99 USD' });
      expect(r.received[0].headers['webhook-signature']).to.equal(undefined);
      expect(slack).to.include({ name: 'slack', kind: 'notification-channel', enabledByDefault: false });
    } finally {
      await r.stop();
    }
  });

  it('summarises events without a campaign or value, and escapes Slack markup', () => {
    const base = { id: 'e', createdAt: '2026-02-25T12:00:00.000Z', handle: 'acme' };
    expect(slackText({ ...base, type: 'webhook.ping', data: {} })).to.equal('webhook.ping for handle acme');
    expect(slackText({ ...base, type: 'conversion.tested', data: { campaignId: 'c<!channel>', value: 5, currency: 'EUR' } }))
      .to.equal('conversion.tested for campaign c&lt;!channel&gt;: 5.00 EUR');
    expect(slackText({ ...base, type: 'delivery.failed', data: { message: 'endpoint down after 6 attempts' } }))
      .to.equal('delivery.failed for handle acme (endpoint down after 6 attempts)');
  });
});
