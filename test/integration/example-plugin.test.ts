import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { loadConfig } from '../../config/index.ts';
import { startKernel } from '../../core/kernel.ts';
import { createTestDatabase } from '../support/database.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

const APP_INSTALL = './plugins/examples/app-install/index.ts';
// Every example of docs/plugins.md, loaded the way an integrator loads theirs.
const EXAMPLES = [APP_INSTALL, ...['utm-segment', 'subnet-burst', 'discord'].map((n) => `./plugins/examples/${n}/index.ts`)].join(',');
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const APP_STORE = 'https://apps.apple.com/app/id123456789';
const PLAY_STORE = 'https://play.google.com/store/apps/details?id=com.example.app';
const appCampaign = (campaignId: string) => ({
  campaignId,
  goalType: 'APP_INSTALL',
  status: 'ACTIVE',
  primaryLink: { slug: `${campaignId}-link`, destinationUrl: 'https://example.com/app' },
  routingRules: [
    { priority: 10, destinationUrl: APP_STORE, conditions: { platformIn: ['ios'] } },
    { priority: 20, destinationUrl: PLAY_STORE, conditions: { platformIn: ['android'] } },
  ],
});

describe('example plugin: APP_INSTALL loaded by path (docs/plugins.md)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { PLUGINS: EXAMPLES } });
  });
  after(async () => server?.close());

  /** Follows one short link as a browser with this user agent; returns the Location it was sent to. */
  async function visit(path: string, userAgent: string) {
    const res = await server.http.get(path).set({ 'user-agent': userAgent, 'accept-language': 'en-US,en;q=0.9' }).redirects(0).expect(302);
    return new URL(res.headers.location);
  }

  it('is registered for every handle but off until a handle enables it', async () => {
    const { handle, auth } = await createHandle(server);
    const plugins = await server.http.get(`/v2/handles/${handle}/plugins`).set(auth).expect(200);
    const entry = plugins.body.goalTypes.find((p: { name: string }) => p.name === 'APP_INSTALL');
    expect(entry).to.include({ name: 'APP_INSTALL', version: '1.0.0', kind: 'goal-type', enabled: false });
    const refused = await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(appCampaign('app-off')).expect(400);
    expect(refused.body.error.details[0]).to.include({ pointer: '/body/goalType' });
  });

  it('works end to end: enable per handle, platformIn routing, install allowed, lead refused', async () => {
    const { handle, auth } = await createHandle(server);
    const enabled = await server.http.put(`/v2/handles/${handle}/plugins/APP_INSTALL`).set(auth).send({ enabled: true }).expect(200);
    expect(enabled.body).to.include({ name: 'APP_INSTALL', enabled: true });

    const created = await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(appCampaign('app-alpha')).expect(201);
    expect(created.body).to.include({ goalType: 'APP_INSTALL', trackingPreset: 'custom_webhook', conversionEvent: 'install' });

    const ios = await visit(`/${handle}/app-alpha-link`, IPHONE);
    expect(`${ios.origin}${ios.pathname}`).to.equal(APP_STORE);
    const android = await visit(`/${handle}/app-alpha-link`, ANDROID);
    expect(android.toString()).to.match(/^https:\/\/play\.google\.com\/store\/apps\/details\?id=com\.example\.app&ctx=/);
    const desktop = await visit(`/${handle}/app-alpha-link`, DESKTOP);
    expect(`${desktop.origin}${desktop.pathname}`).to.equal('https://example.com/app');

    const ctx = ios.searchParams.get('ctx')!;
    const install = await server.http
      .post('/v2/public/conversions')
      .send({ ctx, eventType: 'install', idempotencyKey: `install-${handle}-1` })
      .expect(201);
    expect(install.body).to.include({ deduped: false, campaignId: 'app-alpha', eventType: 'install' });
    const purchase = await server.http
      .post('/v2/public/conversions')
      .send({ ctx, eventType: 'purchase', value: 4.99, currency: 'USD', idempotencyKey: `install-${handle}-2` })
      .expect(201);
    expect(purchase.body).to.include({ eventType: 'purchase', value: 4.99, currency: 'USD' });

    const lead = await server.http
      .post('/v2/public/conversions')
      .send({ ctx, eventType: 'lead', idempotencyKey: `install-${handle}-3` })
      .expect(422);
    expect(lead.body.error.code).to.equal('event_type_not_allowed');

    // Disabling the goal type stops new campaigns of it, not the commissions of existing ones.
    await server.http.put(`/v2/handles/${handle}/plugins/APP_INSTALL`).set(auth).send({ enabled: false }).expect(200);
    await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(appCampaign('app-late')).expect(400);
    await server.http.post('/v2/public/conversions').send({ ctx, eventType: 'install', idempotencyKey: `install-${handle}-4` }).expect(201);
    await server.http.post('/v2/public/conversions').send({ ctx, eventType: 'lead', idempotencyKey: `install-${handle}-5` }).expect(422);
    const { rows } = await server.sql.query('select event_type from conversions where handle = $1 order by event_type', [handle]);
    expect(rows.map((r) => r.event_type)).to.deep.equal(['install', 'install', 'purchase']);
  });

  it("validates platformIn with the plugin's own schema when the campaign is saved", async () => {
    const { handle, auth } = await createHandle(server);
    await server.http.put(`/v2/handles/${handle}/plugins/APP_INSTALL`).set(auth).send({ enabled: true }).expect(200);
    const body = appCampaign('app-bad');
    body.routingRules[0].conditions.platformIn = ['windows-phone'];
    const res = await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(body).expect(400);
    expect(res.body.error.code).to.equal('invalid_request');
    expect(res.body.error.details.map((d: { pointer: string }) => d.pointer).join(' ')).to.include('/body/routingRules/0/conditions/platformIn');
  });

  it('is enabled from tenants/<handle>.json at boot, without an API call', async () => {
    const tenantsDir = mkdtempSync(join(tmpdir(), 'tenx-tenants-'));
    writeFileSync(join(tenantsDir, 'app-network.json'), JSON.stringify({ plugins: { APP_INSTALL: { enabled: true } } }));
    const other = await startTestServer({ db: server.db, env: { PLUGINS: APP_INSTALL, TENANTS_DIR: tenantsDir } });
    try {
      const { auth } = await createHandle(other, 'app-network');
      await other.http.post('/v2/handles/app-network/campaigns').set(auth).send(appCampaign('app-file')).expect(201);
    } finally {
      await other.close();
      rmSync(tenantsDir, { recursive: true, force: true });
    }
  });
});

describe('the other example kinds in a running server (docs/plugins.md)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { PLUGINS: EXAMPLES } });
  });
  after(async () => server?.close());

  async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('utm-segment names segments and subnet-burst flags a busy network, once a handle enables them', async () => {
    const { handle, auth } = await createHandle(server);
    await server.http.put(`/v2/handles/${handle}/plugins/utm-segment`).set(auth).send({ enabled: true }).expect(200);
    await server.http.put(`/v2/handles/${handle}/plugins/subnet-burst`).set(auth).send({ enabled: true, settings: { maxClicksPerMinute: 2 } }).expect(200);
    await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send({
      campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
    }).expect(201);
    for (let i = 0; i < 4; i++) {
      await server.http.get(`/${handle}/deal-alpha?utm_campaign=Spring`).set({ 'user-agent': DESKTOP, 'accept-language': 'en' }).redirects(0).expect(302);
    }
    const bySegment = await eventually(
      async () => (await server.http.get(`/v2/handles/${handle}/analytics?groupBy=segment`).set(auth).expect(200)).body.data,
      (rows: { clicks: number }[]) => rows.reduce((n, r) => n + r.clicks, 0) === 4,
    );
    expect(bySegment).to.deep.include({ key: 'spring', clicks: 4, qualifiedClicks: 2, conversions: 0, revenue: 0, revenueByCurrency: {} });
    const { rows } = await server.sql.query('select bot_reason from clicks where handle = $1 order by occurred_at', [handle]);
    expect(rows.map((r) => r.bot_reason)).to.deep.equal([null, null, 'subnet_burst:3/min', 'subnet_burst:4/min']);
  });

  it('discord delivers subscribed events in its own format', async () => {
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        received.push(body);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const { handle, auth } = await createHandle(server);
      const endpointUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/discord`;
      const off = await server.http.post(`/v2/handles/${handle}/webhooks`).set(auth).send({ endpointUrl, eventTypes: ['conversion.tested'], channel: 'discord' });
      expect(off.status, 'a disabled channel cannot be subscribed').to.equal(400);
      await server.http.put(`/v2/handles/${handle}/plugins/discord`).set(auth).send({ enabled: true, settings: { username: 'Acme' } }).expect(200);
      const hook = await server.http.post(`/v2/handles/${handle}/webhooks`).set(auth).send({ endpointUrl, eventTypes: ['conversion.tested'], channel: 'discord' }).expect(201);
      await server.http.post(`/v2/handles/${handle}/webhooks/${hook.body.webhookId}/ping`).set(auth).expect(202);
      await eventually(async () => received.length, (n) => n > 0);
      expect(JSON.parse(received[0])).to.deep.equal({ content: `webhook.ping · ${handle}`, username: 'Acme' });
    } finally {
      receiver.close();
    }
  });
});

describe('a plugin that cannot load', () => {
  it('makes the kernel refuse to start, naming the plugin', async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'tenx-test-'));
    try {
      const config = loadConfig({
        PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, REDIS_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'silent',
        ADMIN_TOKEN: 'test-admin-token-0123456789abcdefghijklmnop', CTX_SECRETS: 'test-ctx-secret-key-aaaaaaaaaaaaaaaaaaaaaaaa', SECRET_KEY: 'k',
        PLUGINS: `${APP_INSTALL},./test/fixtures/plugins/broken/index.ts`,
      });
      let failure: Error | undefined;
      await startKernel(config).then((k) => k.close(), (err: Error) => (failure = err));
      expect(failure?.message).to.include('plugin "broken-detector"').and.include('inspect()');
    } finally {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
