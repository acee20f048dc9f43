// What the black-box pass over the CLI left open: a password in the server URL printed back, partner postback
// deliveries shown as webhooks, seed-demo's counts, and a payout run for partners the handle does not have.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { runNode, type Run } from '../support/run.ts';
import { ADMIN_TOKEN, createToken, startTestServer, uniqueHandle, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, type Receiver } from '../support/webhooks.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI black-box pass, leftovers: URL passwords, postback deliveries, seed-demo counts, unknown payout partners', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;
  let receiver: Receiver;

  function tenx(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return runNode([TENX, ...args], {
      ...process.env,
      XDG_CONFIG_HOME: configHome,
      TENX_URL: server.url,
      TENX_HANDLE: tenant.handle,
      TENX_TOKEN: tenant.ownerToken,
      ...env,
    });
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const path = (rest: string) => `/v2/handles/${tenant.handle}${rest}`;
  const convert = async (key: string) => {
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    const res = await server.http
      .post(CONVERSIONS)
      .set(tenant.auth)
      .send({ ctx, eventType: 'affiliate_click', value: 100, currency: 'USD', idempotencyKey: key })
      .expect(201);
    return res.body.conversionId as string;
  };

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-leftovers-'));
    server = await startTestServer();
    receiver = await startReceiver();
    tenant = await partnerCampaign(server);
    await createPartner(server, tenant, 'alpha');
    await createPartner(server, tenant, 'beta');
    await assignPartner(server, tenant, tenant.campaignId, 'alpha');
    // No hold: a commission approved by hand is due at once, so a payout run pays it.
    const rule = { scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 0 };
    await server.http.put(path('/rewards/default-sale')).set(tenant.auth).send(rule).expect(201);
    const conversionId = await convert('order-1');
    const { body } = await server.http.get(path(`/commissions?status=pending`)).set(tenant.auth).expect(200);
    const commission = (body.data as { commissionId: string; conversionId: string }[]).find((c) => c.conversionId === conversionId)!;
    await server.http.patch(path(`/commissions/${commission.commissionId}`)).set(tenant.auth).send({ status: 'approved', reason: 'checked' }).expect(200);
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('a password in the server URL (TENX_URL, --url) is never printed back: errors, login, its --json, a partner token, seed-demo', async () => {
    const withPassword = (url: string) => url.replace('://', '://user:s3cret@');
    const redacted = (url: string) => url.replace('://', '://user:***@');
    const printed = (r: Run) => r.stdout + r.stderr;

    // Another app answers: "not a tenx server" names the URL.
    const other = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404 Not Found</h1>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const notTenx = await tenx(['campaigns', 'list'], { TENX_URL: withPassword(otherUrl) }).finally(() => other.close());
    expect(notTenx.code, notTenx.stderr).to.equal(1);
    expect(notTenx.stderr).to.equal(`tenx: ${redacted(otherUrl)}: not a tenx server (HTTP 404)\n`);

    // Nothing answers: "cannot reach" names it too.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const unreachable = await tenx(['campaigns', 'list'], { TENX_URL: withPassword(closedUrl) });
    expect(unreachable.code, unreachable.stderr).to.equal(1);
    expect(unreachable.stderr).to.include(`cannot reach ${redacted(closedUrl)}: ECONNREFUSED`);

    // Not a URL at all, and a login through the dashboard's address (its note names both URLs).
    const typo = await tenx(['login', '--url', 'http://user:s3cret@tenx example', '--handle', tenant.handle, '--token', tenant.ownerToken]);
    expect(typo.code, typo.stderr).to.equal(2);
    expect(typo.stderr).to.include('http://user:***@tenx example');
    const env = { TENX_URL: '', TENX_HANDLE: '', TENX_TOKEN: '' };
    const login = await tenx(['login', '--url', `${withPassword(server.url)}/dashboard`, '--handle', tenant.handle, '--token', tenant.ownerToken], env);
    ok(login);
    expect(login.stderr).to.include(`note: ${redacted(server.url)}/dashboard is a page of tenx`).and.include(`using ${redacted(server.url)}`);
    expect(login.stdout).to.include(`Logged in to ${redacted(server.url)} as handle ${tenant.handle}`);
    const json = await tenx(['login', '--url', withPassword(server.url), '--handle', tenant.handle, '--token', tenant.ownerToken, '--json'], env);
    ok(json);
    expect(JSON.parse(json.stdout).url).to.equal(redacted(server.url));
    // The stored login keeps the password: later commands still send it.
    const stored = JSON.parse(readFileSync(join(configHome, 'tenx', 'credentials.json'), 'utf8')) as { url: string };
    expect(stored.url).to.equal(withPassword(server.url));
    const token = await tenx(['partners', 'token', 'beta'], env);
    ok(token);
    expect(token.stderr).to.include(`signs in at ${redacted(server.url)}/dashboard`);

    const seeded = await tenx(['seed-demo', '--url', withPassword(server.url), '--handle', uniqueHandle('pw'), '--clicks', '5', '--seed', '1'], {
      ...env,
      ADMIN_TOKEN,
    });
    ok(seeded);
    expect(seeded.stdout).to.include(`tenx login --url ${redacted(server.url)} `);

    for (const r of [notTenx, unreachable, typo, login, json, token, seeded]) expect(printed(r)).to.not.include('s3cret');
  });

  it('notifications list labels a partner postback\'s deliveries as its postback (and partner), a webhook\'s as its webhook', async () => {
    const { body: hook } = await server.http
      .post(path('/webhooks'))
      .set(tenant.auth)
      .send({ endpointUrl: receiver.url, eventTypes: ['conversion.tested'] })
      .expect(201);
    const alpha = await partnerToken(server, tenant, 'alpha', { scopes: ['partner.read', 'partner.postbacks.write'] });
    const postback = async (events: string[]) =>
      (await server.http.post(path('/partner/postbacks')).set(alpha.auth).send({ urlTemplate: `${receiver.url}?c={conversion_id}`, events }).expect(201))
        .body.postbackId as string;
    const fired = await postback(['conversion.tested']);
    // No delivery yet: it shows in the summary only, where no delivery of the page says what it is.
    const idle = await postback(['commission.updated']);
    await convert('order-2');
    await eventually(async () => {
      const { body } = await server.http.get(path('/notifications')).set(tenant.auth).expect(200);
      const senders = new Set((body.data as { webhookId: string }[]).map((d) => d.webhookId));
      return senders.has(hook.webhookId) && senders.has(fired);
    }, 10_000, 'a delivery of the webhook and one of the postback');

    const list = await tenx(['notifications', 'list']);
    ok(list);
    const [deliveries, summary] = list.stdout.split('\n\n');
    expect(deliveries.split('\n')[0]).to.match(/\bSENT BY$/);
    expect(deliveries).to.match(new RegExp(`\\sconversion\\.tested\\s.*\\spostback ${fired} \\(partner alpha\\)$`, 'm'));
    expect(deliveries).to.match(new RegExp(`\\sconversion\\.tested\\s.*\\swebhook ${hook.webhookId}$`, 'm'));
    expect(list.stdout).to.not.include(`webhook ${fired}`).and.not.include(`webhook ${idle}`);
    const rows = summary.trim().split('\n');
    expect(rows[0]).to.match(/^SENT BY\s/);
    expect(rows.find((r) => r.startsWith(`postback ${fired} (partner alpha) `)), summary).to.be.a('string');
    // No delivery of it on the page: the summary's partnerId names the partner.
    expect(rows.find((r) => r.startsWith(`postback ${idle} (partner alpha) `)), summary).to.match(/\s0\s+0\s+0\s+0\s+-$/);
    expect(rows.find((r) => r.startsWith(`webhook ${hook.webhookId} `)), summary).to.be.a('string');
  });

  it('seed-demo: the counts it prints are what the API recorded (conversions recorded, deduped, mismatched)', async () => {
    const handle = uniqueHandle('count');
    const run = await tenx(['seed-demo', '--url', server.url, '--handle', handle, '--clicks', '80', '--seed', '11', '--json'], {
      TENX_URL: '', TENX_HANDLE: '', TENX_TOKEN: '', ADMIN_TOKEN,
    });
    ok(run);
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const conversions = (await server.http.get(`/v2/handles/${handle}/conversions?limit=500`).set(admin).expect(200)).body.data as unknown[];
    const audit = (await server.http.get(`/v2/handles/${handle}/audit-events?limit=500`).set(admin).expect(200)).body.data as { type: string }[];
    const audited = (type: string) => audit.filter((e) => e.type === type).length;
    const api = { recorded: conversions.length, deduped: audited('conversion.deduped'), mismatched: audited('conversion.mismatch') };
    expect(api.recorded, 'the run recorded conversions').to.be.above(1);
    expect(api.mismatched, 'and resubmitted two orders with a changed amount').to.equal(2);

    // Its progress line said "conversions [####] 16/16": the submissions, resubmitted orders included, not what they came to.
    const line = /^conversions +\[[#-]+\] +(\d+)\/(\d+) submitted: (\d+) recorded, (\d+) deduped, (\d+) mismatched$/m.exec(run.stderr);
    expect(line, run.stderr).to.not.equal(null);
    const [sent, total, recorded, deduped, mismatched] = line!.slice(1).map(Number);
    expect({ recorded, deduped, mismatched }).to.deep.equal(api);
    expect(sent).to.equal(total).and.equal(api.recorded + api.deduped + api.mismatched);

    const tally = Object.values(JSON.parse(run.stdout).campaigns as Record<string, { conversions: number; deduped: number; mismatched: number }>);
    const sum = (k: 'conversions' | 'deduped' | 'mismatched') => tally.reduce((n, t) => n + t[k], 0);
    expect({ recorded: sum('conversions'), deduped: sum('deduped'), mismatched: sum('mismatched') }).to.deep.equal(api);
  });

  it('payouts run --partners with ids the handle does not have: the server refuses the run (422 unknown_partner), naming them; the key stays unused', async () => {
    const count = async () => (await server.sql.query('select count(*)::int as n from payouts where handle = $1', [tenant.handle])).rows[0].n;
    const before = await count();
    const run = await tenx(['payouts', 'run', '--partners', 'alpha,nobody,ghost', '--key', 'with-typos']);
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stderr).to.include('No partner of this handle has the ids "ghost", "nobody"');
    expect(run.stderr).to.not.include('"alpha"');
    expect(run.stdout, 'no payout table: nothing was paid').to.equal('');
    expect(await count()).to.equal(before);
    // Fixed, under the same key: alpha is paid.
    const fixed = await tenx(['payouts', 'run', '--partners', 'alpha', '--key', 'with-typos']);
    ok(fixed);
    expect(fixed.stdout).to.match(/^\S+\s+alpha\s+10\.00 USD\s+1\s+pending\s/m);

    const json = await tenx(['payouts', 'run', '--partners', 'nobody', '--key', 'only-typo', '--json']);
    expect(json.code, json.stderr).to.equal(1);
    expect(json.stderr).to.include('the id "nobody"');

    const known = await tenx(['payouts', 'run', '--partners', 'alpha,beta', '--key', 'all-known']);
    ok(known);

    // A token that cannot read partners gets the same answer: the server checks, not the CLI.
    const payer = await createToken(server, tenant.handle, tenant.ownerToken, ['payouts.write']);
    const unchecked = await tenx(['payouts', 'run', '--partners', 'nobody', '--key', 'unchecked'], { TENX_TOKEN: payer.token });
    expect(unchecked.code, unchecked.stderr).to.equal(1);
    expect(unchecked.stderr).to.include('the id "nobody"');
  });

  it('an empty list option (--partners "$IDS" with $IDS empty) is refused before any request, not read as "everyone"', async () => {
    const before = await server.sql.query('select count(*)::int as n from payouts where handle = $1', [tenant.handle]);
    for (const empty of ['', ',', ' , ']) {
      const run = await tenx(['payouts', 'run', '--partners', empty, '--key', `empty-${empty.length}`]);
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.include('--partners');
      expect(run.stderr).to.include('expected a comma-separated list');
    }
    const scopes = await tenx(['tokens', 'create', '--name', 'none', '--scopes', '']);
    expect(scopes.code, scopes.stderr).to.equal(2);
    const after = await server.sql.query('select count(*)::int as n from payouts where handle = $1', [tenant.handle]);
    expect(after.rows[0].n).to.equal(before.rows[0].n);
  });
});
