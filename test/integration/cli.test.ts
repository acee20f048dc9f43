import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ledgerRows } from '../support/commissions.ts';
import { AUDIT_TYPES } from '../../scripts/cli/audit.ts';
import { clickThrough, partnerCampaign } from '../support/conversions.ts';
import { GOOGLEBOT } from '../support/redirect.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';
import { eventually } from '../support/webhooks.ts';

const SCRIPT = fileURLToPath(new URL('../cli/workflows.sh', import.meta.url));
const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI drives the seed workflows 1-5 (test/cli/workflows.sh)', function () {
  // About a minute on an idle machine; a loaded box needs more.
  this.timeout(300_000);
  let child: ChildProcess | undefined;

  // On a timeout the script gets SIGTERM, which its trap turns into stopping the server and dropping the database.
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
  });

  it('passes every workflow against a real server', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      let output = '';
      child = spawn('bash', [SCRIPT], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (c) => (output += c));
      child.stderr!.on('data', (c) => (output += c));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, output }));
    });
    if (code !== 0) expect.fail(`workflows.sh exited with ${code}:\n${output}`);
    expect(output).to.include('all workflows passed');
  });
});


const SECRET_ALONE = /^whsec_[A-Za-z0-9+/=]+\n$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('tenx CLI: what a script needs (merchant without login, secrets for $(...), usage errors)', function () {
  // Generous for a loaded box: each CLI start is one Node process.
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;

  /** One CLI call as a script makes it: no TTY, no stored login (an empty config dir), TENX_* only as given. */
  function tenx(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const base: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome };
    for (const k of ['TENX_URL', 'TENX_HANDLE', 'TENX_TOKEN']) delete base[k];
    return runNode([TENX, ...args], { ...base, ...env });
  }

  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const fails = (r: Run, code: number) => expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(code);
  const asOwner = () => ({ TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken });
  const api = (path: string) => server.http.get(`/v2/handles/${tenant.handle}${path}`).set(tenant.auth).expect(200);

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-config-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server, { campaignId: 'partner-alpha', slug: 'deal-alpha' });
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('conversions record: a merchant without a login passes --url (or TENX_URL); without either, exit 2 naming --url', async () => {
    const [ctxA, ctxB] = [await clickThrough(server, tenant.handle, tenant.slug), await clickThrough(server, tenant.handle, tenant.slug)];
    const record = (ctx: string, key: string) => ['conversions', 'record', '--ctx', ctx, '--event-type', 'affiliate_click', '--idempotency-key', key];
    const [withFlag, withEnv, withNothing] = await Promise.all([
      tenx([...record(ctxA, 'order-url-1'), '--url', server.url, '--value', '24.99', '--currency', 'USD']),
      tenx(record(ctxB, 'order-env-1'), { TENX_URL: server.url }),
      tenx(record(ctxA, 'order-none-1')),
    ]);
    ok(withFlag);
    expect(withFlag.stdout).to.include('Recorded conversion').and.include('24.99 USD');
    ok(withEnv);
    expect(withEnv.stdout).to.include('Recorded conversion');
    fails(withNothing, 2);
    expect(withNothing.stderr).to.include('no server URL').and.include('--url').and.include('TENX_URL');
    expect(existsSync(join(configHome, 'tenx', 'credentials.json')), 'nothing stored').to.equal(false);
  });

  it("conversions record: a repeat that differs names what; a merchant's post of a key first posted without a token says the sale was NOT recorded, exit 1", async () => {
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    const merchant = await createToken(server, tenant.handle, tenant.ownerToken, ['conversions.write']);
    const record = (key: string, value: string, token?: string) => tenx(['conversions', 'record', '--url', server.url, '--ctx', ctx, '--event-type', 'affiliate_click',
      '--idempotency-key', key, '--value', value, '--currency', 'USD', ...(token ? ['--token', token] : [])]);
    ok(await record('order-diff-1', '24.99', merchant.token));
    const changed = await record('order-diff-1', '30', merchant.token);
    ok(changed);
    expect(changed.stderr).to.include('differs from the original submission (value 24.99 (sent 30.00))').and.include('the original stands');
    // A visitor's ctx-only post took the order id first (a CLI pass: the merchant's sale vanished with exit 0).
    await server.http.post('/v2/public/conversions').send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'order-squat-1' }).expect(201);
    const squatted = await record('order-squat-1', '59.99', merchant.token);
    fails(squatted, 1);
    expect(squatted.stdout).to.include('Deduped');
    expect(squatted.stderr).to.include('this sale was NOT recorded').and.include('cannot guess');
    // …also with --json, which scripts use: stdout stays the answer alone (a review found exit 0 there).
    const asJson = await tenx(['conversions', 'record', '--url', server.url, '--ctx', ctx, '--event-type', 'affiliate_click',
      '--idempotency-key', 'order-squat-1', '--value', '59.99', '--currency', 'USD', '--token', merchant.token, '--json']);
    fails(asJson, 1);
    expect(JSON.parse(asJson.stdout)).to.include({ deduped: true, authenticated: false, mismatch: true });
    expect(asJson.stderr).to.include('this sale was NOT recorded');
  });

  it('analytics funnel: the table shows VERIFIED (conversions whose click was not a bot) beside CONV', async () => {
    const human = await clickThrough(server, tenant.handle, tenant.slug);
    const bot = await clickThrough(server, tenant.handle, tenant.slug, { 'user-agent': GOOGLEBOT });
    for (const [ctx, key] of [[human, 'verified-human'], [bot, 'verified-bot']]) {
      await server.http.post('/v2/public/conversions').send({ ctx, eventType: 'affiliate_click', idempotencyKey: key }).expect(201);
    }
    const { body } = await api('/analytics?funnel=true&campaignId=partner-alpha');
    const row = body.data[0];
    expect(row.verifiedConversions, 'the bot click\'s conversion is not verified').to.equal(row.conversions - 1);

    const table = await tenx(['analytics', 'funnel', '--campaign', 'partner-alpha'], asOwner());
    ok(table);
    const [header, line] = table.stdout.split('\n');
    const headers = header.split(/\s{2,}/);
    expect(headers.slice(4, 6)).to.deep.equal(['CONV', 'VERIFIED']);
    const cells = line.split(/\s{2,}/);
    expect(cells[0]).to.equal('partner-alpha');
    expect(cells.slice(4, 6)).to.deep.equal([String(row.conversions), String(row.verifiedConversions)]);
  });

  it('webhooks add / rotate-secret: the secret alone on stdout (SECRET=$(...)), the rest on stderr with the overlap', async () => {
    const add = await tenx(['webhooks', 'add', '--url', 'http://127.0.0.1:9/ingest', '--events', 'conversion.tested'], asOwner());
    ok(add);
    expect(add.stdout).to.match(SECRET_ALONE);
    expect(add.stderr).to.match(new RegExp(`Created webhook ${UUID.source} -> http://127.0.0.1:9/ingest`)).and.include('shown only once');
    const webhookId = UUID.exec(add.stderr)![0];

    const rotated = await tenx(['webhooks', 'rotate-secret', webhookId], asOwner());
    ok(rotated);
    expect(rotated.stdout).to.match(SECRET_ALONE);
    expect(rotated.stdout).to.not.equal(add.stdout);
    const { body: hook } = await api(`/webhooks/${webhookId}`);
    expect(hook.previousSecretExpiresAt, 'the server keeps an overlap by default').to.be.a('string');
    expect(rotated.stderr).to.include(`Rotated the signing secret of webhook ${webhookId}`)
      .and.include(`The previous secret keeps signing too (a second v1 signature) until ${hook.previousSecretExpiresAt}`);

    const json = await tenx(['webhooks', 'rotate-secret', webhookId, '--json'], asOwner());
    ok(json);
    expect(JSON.parse(json.stdout)).to.include({ webhookId }).and.to.have.property('secret').that.matches(/^whsec_/);

    // The retry tail from the CLI (it took curl: a CLI pass), and one delivery's every attempt.
    const tail = await tenx(['webhooks', 'update', webhookId, '--retry-tail', 'on'], asOwner());
    ok(tail);
    expect(tail.stdout).to.equal(`Webhook ${webhookId}: retry tail on.\n`);
    expect((await api(`/webhooks/${webhookId}`)).body.retryTail).to.equal(true);
    fails(await tenx(['webhooks', 'update', webhookId], asOwner()), 2);
    const ping = await tenx(['webhooks', 'ping', webhookId, '--json'], asOwner());
    ok(ping);
    const { deliveryId } = JSON.parse(ping.stdout);
    await eventually(async () => (await api(`/notifications/${deliveryId}`)).body.attempts.length > 0, 10_000, 'a first attempt');
    const shown = await tenx(['notifications', 'show', deliveryId], asOwner());
    ok(shown);
    expect(shown.stdout).to.match(new RegExp(`^Delivery ${deliveryId}: webhook.ping by webhook ${webhookId}, \\w+`));
    expect(shown.stdout).to.match(/^#\s+AT\s+STATUS\s+ERROR\s+LATENCY\s+ANSWER$/m).and.match(/^\s*1\s+\S+\s+-\s+connection_refused\s+\d+ms/m);
  });

  it('campaigns update --title \'\' removes the title; no option at all is still "nothing to update" (exit 2)', async () => {
    const before = await api('/campaigns/partner-alpha');
    expect(before.body.primaryLink.title).to.equal('Partner deal');
    const [cleared, nothing] = await Promise.all([
      tenx(['campaigns', 'update', 'partner-alpha', '--title', ''], asOwner()),
      tenx(['campaigns', 'update', 'partner-alpha'], asOwner()),
    ]);
    ok(cleared);
    expect(cleared.stdout).to.include('Updated campaign partner-alpha');
    expect((await api('/campaigns/partner-alpha')).body.primaryLink.title).to.equal(null);
    fails(nothing, 2);
    expect(nothing.stderr).to.include('nothing to update');

    const audit = await api('/audit-events?type=campaign.updated&campaignId=partner-alpha');
    expect(audit.body.data[0].payload).to.have.nested.property('after.title', null);

    // The maximum conversion value (API.md v2.1) from the CLI: set, shown, removed; a bad amount is exit 2.
    const limited = await tenx(['campaigns', 'update', 'partner-alpha', '--max-conversion-value', '500'], asOwner());
    ok(limited);
    expect(limited.stdout).to.include('max conversion:   500');
    expect((await api('/campaigns/partner-alpha')).body.maxConversionValue).to.equal(500);
    fails(await tenx(['campaigns', 'update', 'partner-alpha', '--max-conversion-value', '12.345'], asOwner()), 2);
    ok(await tenx(['campaigns', 'update', 'partner-alpha', '--max-conversion-value', ''], asOwner()));
    expect((await api('/campaigns/partner-alpha')).body.maxConversionValue).to.equal(null);
  });

  it('handle show|update: publicConversions from the CLI, with what it means; a merchant token may tighten it, not loosen it or rename', async () => {
    const shown = await tenx(['handle', 'show'], asOwner());
    ok(shown);
    expect(shown.stdout).to.match(/public conversions: {2}(accept|flag|refuse) \(a conversion with the ctx alone is /);
    const refused = await tenx(['handle', 'update', '--public-conversions', 'refuse', '--json'], asOwner());
    ok(refused);
    expect(JSON.parse(refused.stdout)).to.include({ handle: tenant.handle, publicConversions: 'refuse' });
    expect((await server.http.get(`/v2/handles/${tenant.handle}`).set(tenant.auth).expect(200)).body.publicConversions).to.equal('refuse');
    const merchant = await createToken(server, tenant.handle, tenant.ownerToken, ['conversions.write']);
    const asMerchant = { ...asOwner(), TENX_TOKEN: merchant.token };
    const loosened = await tenx(['handle', 'update', '--public-conversions', 'flag'], asMerchant);
    fails(loosened, 1);
    expect(loosened.stderr).to.include('Loosening publicConversions (refuse → flag)').and.include('set TENX_TOKEN to the owner token.');
    ok(await tenx(['handle', 'update', '--public-conversions', 'flag'], asOwner()));
    ok(await tenx(['handle', 'update', '--public-conversions', 'refuse'], asMerchant));
    ok(await tenx(['handle', 'update', '--public-conversions', 'flag'], asOwner()));
    const rename = await tenx(['handle', 'update', '--name', 'Renamed by a merchant'], asMerchant);
    fails(rename, 1);
    // What to use instead: the owner token (it advised minting a token with the scope, which would not do: a CLI pass).
    expect(rename.stderr).to.include('Renaming a handle takes a token holding every scope').and.include('set TENX_TOKEN to the owner token.').and.not.include('tokens create');
    fails(await tenx(['handle', 'update'], asOwner()), 2);
    fails(await tenx(['handle', 'update', '--public-conversions', 'maybe'], asOwner()), 2);
    expect((await server.http.get(`/v2/handles/${tenant.handle}`).set(tenant.auth).expect(200)).body).to.include({ publicConversions: 'flag' });
  });

  it('audit list --type: an unknown type is exit 2 listing the known ones; a known one lists its events', async () => {
    const [bogus, known] = await Promise.all([
      tenx(['audit', 'list', '--type', 'bogus'], asOwner()),
      tenx(['audit', 'list', '--type', 'conversion.created', '--json'], asOwner()),
    ]);
    fails(bogus, 2);
    expect(bogus.stderr).to.include("argument 'bogus' is invalid");
    for (const type of AUDIT_TYPES) expect(bogus.stderr).to.include(type);
    ok(known);
    const events = JSON.parse(known.stdout).data as { type: string }[];
    expect(events.length).to.be.greaterThan(0);
    expect(events.every((e) => e.type === 'conversion.created')).to.equal(true);
    // The table says what changed (a commission's move: from -> to and the reason), not only who and when.
    const [id] = await ledgerRows(server, [{ handle: tenant.handle, partnerId: 'p-audit', amount: '2.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) }]);
    await server.http.patch(`/v2/handles/${tenant.handle}/commissions/${id}`).set(tenant.auth).send({ status: 'rejected', reason: 'coupon abuse' }).expect(200);
    const moved = await tenx(['audit', 'list', '--type', 'commission.status_changed'], asOwner());
    ok(moved);
    expect(moved.stdout.split('\n')[0]).to.match(/\sCHANGE$/);
    expect(moved.stdout).to.include('pending -> rejected: coupon abuse');
    // …and what a repeat sent against what stands (it showed `value=… deduped=true`, the changes only in --json: a CLI pass).
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    const order = { ctx, eventType: 'affiliate_click', idempotencyKey: 'order-audit-1', value: 49.99, currency: 'USD' };
    await server.http.post('/v2/public/conversions').send(order).expect(201);
    await server.http.post('/v2/public/conversions').send({ ...order, value: 59.99 }).expect(200);
    const mismatch = await tenx(['audit', 'list', '--type', 'conversion.mismatch', '--limit', '1'], asOwner());
    ok(mismatch);
    expect(mismatch.stdout).to.include('key order-audit-1 · value 49.99 -> 59.99 (sent)');
  });

  it('audit list --type knows every type the server wrote in the tests above', async () => {
    const { body } = await api('/audit-events?limit=500');
    const written = new Set((body.data as { type: string }[]).map((e) => e.type));
    // conversions, a campaign created and updated, a webhook created and rotated
    expect(written.size).to.be.at.least(5);
    for (const type of written) expect(AUDIT_TYPES, `audit type ${type}`).to.include(type);
  });

  it('says when something other than tenx answers: "http://…: not a tenx server (HTTP 404)", also for a 200 HTML page (issue 16)', async () => {
    // Another app on the configured address: an HTML 404 for the API paths, an HTML 200 on /ok.
    const other = createServer((req, res) => {
      const ok = req.url!.startsWith('/ok');
      res.writeHead(ok ? 200 : 404, { 'content-type': 'text/html' }).end(`<html><body><h1>${ok ? 'Welcome to nginx!' : '404 Not Found'}</h1></body></html>`);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const [missing, page] = await Promise.all([
        tenx(['analytics', 'funnel'], { ...asOwner(), TENX_URL: url }),
        tenx(['analytics', 'funnel'], { ...asOwner(), TENX_URL: `${url}/ok` }),
      ]);
      fails(missing, 1);
      expect(missing.stderr).to.equal(`tenx: ${url}: not a tenx server (HTTP 404)\n`);
      fails(page, 1);
      expect(page.stderr).to.equal(`tenx: ${url}/ok: not a tenx server (HTTP 200)\n`);
    } finally {
      other.close();
    }
    // tenx's own 404 is still the contract's message.
    const unknown = await tenx(['analytics', 'funnel', '--campaign', 'no-such-campaign'], asOwner());
    fails(unknown, 1);
    expect(unknown.stderr).to.not.include('not a tenx server');
  });

  it('analytics by: the table shows every currency (BY CURRENCY), not only the reporting one (issue 16)', async () => {
    const click = await clickThrough(server, tenant.handle, tenant.slug);
    await server.http.post('/v2/public/conversions').send({ ctx: click, eventType: 'affiliate_click', idempotencyKey: 'by-eur', value: 40, currency: 'EUR' }).expect(201);
    const { body } = await api('/analytics?groupBy=campaign');
    const row = body.data.find((r: { key: string }) => r.key === 'partner-alpha');
    expect(row.revenueByCurrency.EUR).to.equal(40);

    const table = await tenx(['analytics', 'by', 'campaign'], asOwner());
    ok(table);
    const [header, ...lines] = table.stdout.split('\n');
    expect(header.split(/\s{2,}/).at(-1)).to.equal('BY CURRENCY');
    const line = lines.find((l) => l.startsWith('partner-alpha'))!;
    expect(line).to.include('40.00 EUR');
  });

  it('login: "Handle not found" hints that handles are lower case and that a token belongs to one handle', async () => {
    const other = await createHandle(server);
    const [upper, foreign] = await Promise.all([
      tenx(['login', '--url', server.url, '--handle', tenant.handle.toUpperCase(), '--token', tenant.ownerToken]),
      tenx(['login', '--url', server.url, '--handle', other.handle, '--token', tenant.ownerToken]),
    ]);
    fails(upper, 1);
    expect(upper.stderr).to.include('Handle not found.')
      .and.include(`Handles are lower case: try --handle ${tenant.handle}.`)
      .and.include('A token belongs to exactly one handle');
    fails(foreign, 1);
    expect(foreign.stderr).to.include('Handle not found.').and.include('A token belongs to exactly one handle');
    expect(foreign.stderr).to.not.include('lower case');
    expect(existsSync(join(configHome, 'tenx', 'credentials.json')), 'a failed login stores nothing').to.equal(false);
  });

  it('any command: "Handle not found" says where the handle came from and what to check (it said only "Handle not found.")', async () => {
    const env = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle.toUpperCase(), TENX_TOKEN: tenant.ownerToken };
    const r = await runNode([TENX, 'campaigns', 'list'], env);
    fails(r, 1);
    expect(r.stderr).to.include('Handle not found.').and.include(`TENX_HANDLE (${tenant.handle.toUpperCase()})`).and.include('lower case');
  });

  it("login with the operator's admin token works, and says it is the operator's (every handle) and what to keep instead", async () => {
    const adminToken = server.admin().Authorization.slice('Bearer '.length);
    const home = mkdtempSync(join(tmpdir(), 'tenx-cli-admin-login-'));
    try {
      const r = await runNode([TENX, 'login', '--url', server.url, '--handle', tenant.handle, '--token', adminToken], { ...process.env, XDG_CONFIG_HOME: home, ADMIN_TOKEN: adminToken });
      ok(r);
      expect(r.stderr).to.include("that is the operator's admin token (every handle, every scope)").and.include('tenx tokens create');
      const owner = await runNode([TENX, 'login', '--url', server.url, '--handle', tenant.handle, '--token', tenant.ownerToken], { ...process.env, XDG_CONFIG_HOME: home, ADMIN_TOKEN: adminToken });
      ok(owner);
      expect(owner.stderr).to.not.include('admin token');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('login --url …/dashboard uses the base URL with a note; a path tenx does not serve is "not a tenx base URL" (exit 2)', async () => {
    const [other, dashboard] = await Promise.all([
      tenx(['login', '--url', `${server.url}/tenx`, '--handle', tenant.handle, '--token', tenant.ownerToken]),
      tenx(['login', '--url', `${server.url}/dashboard/#/funnel`, '--handle', tenant.handle, '--token', tenant.ownerToken, '--json']),
    ]);
    fails(other, 2);
    expect(other.stderr).to.include(`${server.url}/tenx is not a tenx base URL`).and.include(`--url ${server.url}`);
    expect(other.stderr).to.not.include('No route');
    ok(dashboard);
    expect(JSON.parse(dashboard.stdout).url).to.equal(server.url);
    expect(dashboard.stderr).to.include(`using ${server.url}`);
  });
});
