// What the black-box pass over the CLI left open: a password in the server URL printed back, partner postback
// deliveries shown as webhooks, seed-demo's counts, and a payout run for partners the handle does not have; then a
// usability pass: a proxy's 502 read as "not a tenx server", `payouts statement` without --json, `plugins show nope`
// exit 2 where `disable nope` exits 1, a second `tokens revoke` saying "Revoked", `--file camp.json` without its `@`,
// `--currency usd`, and a `conversions record` timeout that did not say a repeat is safe.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { httpRequest } from '../../scripts/cli/http.ts';
import { runNode, type Run } from '../support/run.ts';
import { ADMIN_TOKEN, createToken, startTestServer, uniqueHandle, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, type Receiver } from '../support/webhooks.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI black-box pass, leftovers: URL passwords, postback deliveries, seed-demo counts, unknown payout partners, usability', function () {
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

  /** A local HTTP server on 127.0.0.1 (a proxy, a hung server) for one test: its URL, closed afterwards. */
  async function local(handler: RequestListener, run: (url: string) => Promise<void>) {
    const other: Server = createHttpServer(handler);
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(other.address() as AddressInfo).port}`);
    } finally {
      other.closeAllConnections();
      await new Promise((r) => other.close(r));
    }
  }

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

  it("a proxy's 502/503/504 (any 5xx not in tenx's error shape) says the server behind it is down or unreachable, not \"not a tenx server\"; exit 1", async () => {
    // The first path segment is the status the "proxy" answers with an HTML page, as nginx does.
    const page: RequestListener = (req, res) => {
      const status = Number(req.url!.split('/')[1]);
      res.writeHead(status, { 'content-type': 'text/html' }).end(`<html><body><h1>${status}</h1><hr>nginx</body></html>`);
    };
    await local(page, async (url) => {
      const at = (status: number, args: string[]) => tenx(args, { TENX_URL: `${url}/${status}` });
      const [bad, unavailable, timeout, failed, statement, missing] = await Promise.all([
        at(502, ['campaigns', 'list']),
        at(503, ['analytics', 'funnel']),
        at(504, ['conversions', 'record', '--ctx', 'x', '--event-type', 'sale', '--idempotency-key', 'k', '--url', `${url}/504`]),
        at(500, ['campaigns', 'get', 'partner-alpha']),
        at(502, ['payouts', 'statement', '0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77']),
        at(404, ['campaigns', 'list']),
      ]);
      const said = (r: Run, line: string) => expect([r.code, r.stderr, r.stdout]).to.deep.equal([1, `tenx: ${line}\n`, '']);
      said(bad, `${url}/502: the server answered HTTP 502 Bad Gateway (a proxy in front of tenx could not reach it); try again`);
      said(unavailable, `${url}/503: the server answered HTTP 503 Service Unavailable (a proxy in front of tenx has no server to pass it to: down or restarting); try again`);
      // A conversion a proxy timed out may be stored behind it: the key makes the repeat safe, and the CLI says so.
      said(
        timeout,
        `${url}/504: the server answered HTTP 504 Gateway Timeout (a proxy in front of tenx got no answer from it in time); try again; ` +
          'the conversion may or may not be stored: run the same command again (same --idempotency-key k): tenx answers a repeat of the same key without storing it twice',
      );
      said(failed, `${url}/500: the server answered HTTP 500 Internal Server Error (not the error answer of tenx itself: a proxy in front of it, or the server, failed); try again`);
      said(statement, `${url}/502: the server answered HTTP 502 Bad Gateway (a proxy in front of tenx could not reach it); try again`);
      // Another app's 404 page is still not tenx.
      said(missing, `${url}/404: not a tenx server (HTTP 404)`);
    });
  });

  it('payouts statement --json: the lines as one JSON array (the server\'s ndjson), as every other read command has', async () => {
    const conversionId = await convert('order-statement');
    const { body } = await server.http.get(path('/commissions?status=pending')).set(tenant.auth).expect(200);
    const commission = (body.data as { commissionId: string; conversionId: string }[]).find((c) => c.conversionId === conversionId)!;
    await server.http.patch(path(`/commissions/${commission.commissionId}`)).set(tenant.auth).send({ status: 'approved', reason: 'checked' }).expect(200);
    const run = await server.http.post(path('/payouts')).set(tenant.auth).send({ idempotencyKey: 'statement-json', partnerIds: ['alpha'] }).expect(201);
    const payoutId = (run.body.data as { payoutId: string }[])[0].payoutId;
    const ndjson = await fetch(`${server.url}${path(`/payouts/${payoutId}/statement?format=ndjson`)}`, { headers: tenant.auth });
    expect(ndjson.status).to.equal(200);
    const lines = (await ndjson.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

    const json = await tenx(['payouts', 'statement', payoutId, '--json']);
    ok(json);
    const printed = JSON.parse(json.stdout) as { commissionId: string }[];
    expect(printed).to.be.an('array').and.deep.equal(lines);
    expect(printed.map((l) => l.commissionId)).to.include(commission.commissionId);
    // A partner login: its own payout's lines, as the file format gives them.
    const alpha = await partnerToken(server, tenant, 'alpha');
    const own = await tenx(['payouts', 'statement', payoutId, '--json'], { TENX_TOKEN: alpha.token });
    ok(own);
    expect((JSON.parse(own.stdout) as { commissionId: string }[]).map((l) => l.commissionId)).to.deep.equal(printed.map((l) => l.commissionId));
    // --json is its own format: with --format, a usage error.
    const both = await tenx(['payouts', 'statement', payoutId, '--json', '--format', 'csv']);
    expect(both.code, both.stderr).to.equal(2);
    expect(both.stderr).to.include("option '--format <format>' cannot be used with option '--json'");
  });

  it('plugins show, set and disable of a plugin the server does not have: the same sentence and exit 1, as campaigns get nope', async () => {
    const [show, set, disable, campaign] = await Promise.all([
      tenx(['plugins', 'show', 'nope']),
      tenx(['plugins', 'set', 'nope', 'a=1']),
      tenx(['plugins', 'disable', 'nope']),
      tenx(['campaigns', 'get', 'nope']),
    ]);
    expect(campaign.code, campaign.stderr).to.equal(1);
    for (const r of [show, set, disable]) {
      expect([r.code, r.stderr]).to.deep.equal([1, 'tenx: Plugin "nope" not found. `tenx plugins list` shows the plugins this server has.\n']);
    }
  });

  it('tokens revoke and partners tokens revoke a second time: "Already revoked (at …)", exit 0, the first time standing', async () => {
    const pat = await createToken(server, tenant.handle, tenant.ownerToken, ['analytics.read']);
    const first = await tenx(['tokens', 'revoke', pat.tokenId]);
    ok(first);
    expect(first.stdout).to.equal(`Revoked token ${pat.tokenId} "t-analytics.read".\n`);
    const [{ revoked_at: at }] = (await server.sql.query('select revoked_at from access_tokens where token_id = $1', [pat.tokenId])).rows;
    const again = await tenx(['tokens', 'revoke', pat.tokenId]);
    ok(again);
    expect(again.stdout).to.equal(`Already revoked (at ${(at as Date).toISOString()}): token ${pat.tokenId} "t-analytics.read"; nothing changed.\n`);

    const portal = await partnerToken(server, tenant, 'beta', { name: 'kiosk' });
    const revoked = await tenx(['partners', 'tokens', 'revoke', 'beta', portal.tokenId]);
    ok(revoked);
    const when = /\(at (\S+Z)\)/.exec(revoked.stdout)?.[1];
    expect(revoked.stdout).to.equal(`Revoked partner token ${portal.tokenId} "kiosk" of beta (at ${when}); it answers 401 from now on.\n`);
    const repeat = await tenx(['partners', 'tokens', 'revoke', 'beta', portal.tokenId]);
    ok(repeat);
    expect(repeat.stdout).to.equal(`Already revoked (at ${when}): partner token ${portal.tokenId} "kiosk" of beta; nothing changed.\n`);
  });

  it('a JSON option given a file name without its @ (--file camp.json): exit 2, saying to write --file @camp.json', async () => {
    const file = join(configHome, 'camp.json');
    writeFileSync(file, JSON.stringify({ campaignId: 'from-file', primaryLink: { slug: 'from-file', destinationUrl: 'https://merchant.example.com/' } }));
    const [bare, rules, metadata, broken, atOnly, read] = await Promise.all([
      tenx(['campaigns', 'create', '--file', file]),
      // No such file, but a name that is no JSON: the same hint.
      tenx(['campaigns', 'update', 'partner-alpha', '--routing-rules', 'rules.json']),
      tenx(['conversions', 'record', '--ctx', 'x', '--event-type', 'sale', '--idempotency-key', 'k', '--metadata', 'meta/order.txt']),
      // JSON with a typo is not a file name: the parser's word.
      tenx(['campaigns', 'create', '--file', '{"campaignId": }']),
      // An @ and no name: said, not "cannot read stdin".
      tenx(['campaigns', 'create', '--file', '@']),
      tenx(['campaigns', 'create', '--file', `@${file}`, '--json']),
    ]);
    const refused = (r: Run, hint: string) => {
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.include(hint);
      expect(r.stdout).to.equal('');
    };
    refused(bare, `"${file}" is not JSON; to read a file write --file @${file}`);
    refused(rules, '"rules.json" is not JSON; to read a file write --routing-rules @rules.json');
    refused(metadata, '"meta/order.txt" is not JSON; to read a file write --metadata @meta/order.txt');
    refused(broken, 'not valid JSON (');
    expect(broken.stderr).to.not.include('to read a file');
    refused(atOnly, 'a file name goes after the @, e.g. --file @campaign.json');
    ok(read);
    expect(JSON.parse(read.stdout)).to.include({ campaignId: 'from-file' });
  });

  it('--currency usd (conversions record, rewards set) and create-handle --reporting-currency eur are sent upper-cased; a wrong code stays the API\'s 400', async () => {
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    const record = (key: string, currency: string) =>
      tenx(['conversions', 'record', '--url', server.url, '--ctx', ctx, '--event-type', 'affiliate_click', '--idempotency-key', key, '--value', '12.50', '--currency', currency, '--token', tenant.ownerToken]);
    const handle = uniqueHandle('cur');
    const [lower, wrong, reward, created] = await Promise.all([
      record('lower-usd', 'usd'),
      record('not-a-code', 'usdx'),
      // Beta has no campaign: the rule pays nothing here.
      tenx(['rewards', 'set', 'beta-flat-eur', '--event', 'affiliate_click', '--type', 'flat', '--amount', '1', '--currency', 'eur', '--partner', 'beta', '--json']),
      tenx(['create-handle', handle, '--name', 'Euro network', '--reporting-currency', 'eur', '--url', server.url, '--json'], { ADMIN_TOKEN }),
    ]);
    ok(lower);
    expect(lower.stdout).to.match(/^Recorded conversion \S+ \(affiliate_click 12\.50 USD\)/);
    expect(wrong.code, wrong.stderr).to.equal(1);
    expect(wrong.stderr).to.include('/currency');
    ok(reward);
    expect(JSON.parse(reward.stdout)).to.include({ currency: 'EUR' });
    ok(created);
    expect(JSON.parse(created.stdout)).to.include({ handle, reportingCurrency: 'EUR' });
  });

  it('conversions record that gets no answer in time (TENX_TIMEOUT) says the conversion may be stored and a repeat with the same key is safe', async () => {
    // Takes the request, never answers.
    await local(() => {}, async (url) => {
      const r = await tenx(['conversions', 'record', '--url', url, '--ctx', 'x', '--event-type', 'sale', '--idempotency-key', 'order-77'], { TENX_TIMEOUT: '0.3' });
      expect([r.code, r.stdout]).to.deep.equal([1, '']);
      expect(r.stderr).to.equal(
        `tenx: ${url} gave no answer in 0.3 s (is it a tenx server, and not overloaded? TENX_TIMEOUT=<seconds> waits longer); ` +
          'the conversion may or may not be stored: run the same command again (same --idempotency-key order-77): tenx answers a repeat of the same key without storing it twice\n',
      );
    });
  });
  it("the wait for an answer is never cut short by the connection's idle limit (a TENX_TIMEOUT above it read \"cannot reach … ETIMEDOUT\")", async () => {
    await local(() => {}, async (url) => {
      const err = await httpRequest(url, { method: 'GET', headers: {}, bodyTimeout: 100, answerTimeout: 400 }).then(
        () => null,
        (e: Error & { answerMs?: number }) => e,
      );
      expect(err?.message).to.equal('no answer in 0.4 s');
      expect(err?.answerMs).to.equal(400);
    });
  });
});
