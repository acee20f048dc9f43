// A black-box pass over the CLI as a network manager and an operator drive it: what a script branches on (exit
// codes, also with --json), what the contract lets a manager do from the command line (a campaign's partner), and
// errors that say what to fix.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner } from '../support/partners.ts';
import { runNode, type Run } from '../support/run.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe("tenx CLI black-box pass: exit codes with --json, a campaign's partner, one-line errors", function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;

  function tenx(args: string[], token = tenant.ownerToken): Promise<Run> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_CONFIG_HOME: configHome,
      TENX_URL: server.url,
      TENX_HANDLE: tenant.handle,
      TENX_TOKEN: token,
    };
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const path = (rest: string) => `/v2/handles/${tenant.handle}${rest}`;

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-blackbox-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server);
    await createPartner(server, tenant, 'alpha');
    await createPartner(server, tenant, 'beta');
    await assignPartner(server, tenant, tenant.campaignId, 'alpha');
    const rule = { scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 };
    await server.http.put(path('/rewards/default-sale')).set(tenant.auth).send(rule).expect(201);
    for (const key of ['order-1', 'order-2']) {
      const ctx = await clickThrough(server, tenant.handle, tenant.slug);
      await server.http
        .post(CONVERSIONS)
        .set(tenant.auth)
        .send({ ctx, eventType: 'affiliate_click', value: 100, currency: 'USD', idempotencyKey: key })
        .expect(201);
    }
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('commissions reject A B --json: one refused exits 1 as without --json (the help says "exit 1 if any is refused")', async () => {
    const { body } = await server.http.get(path('/commissions?status=pending')).set(tenant.auth).expect(200);
    const [a, b] = (body.data as { commissionId: string }[]).map((c) => c.commissionId);
    ok(await tenx(['commissions', 'approve', a, '--reason', 'checked']));

    const json = await tenx(['commissions', 'reject', a, b, '--reason', 'self-referral', '--json']);
    const results = JSON.parse(json.stdout).data as { commissionId: string; status: number }[];
    expect(results.map((r) => r.status)).to.deep.equal([409, 200]);
    expect(json.code, 'a refused one exits 1 with --json too').to.equal(1);

    const allGood = await tenx(['commissions', 'approve', b, '--reason', 'not a self-referral after all', '--json']);
    ok(allGood);
    expect(JSON.parse(allGood.stdout).data[0].commission.status).to.equal('approved');
  });

  it("campaigns create/update --partner name the campaign's partner (POST and PATCH partnerId, API.md), and get/list show it", async () => {
    const created = await tenx([
      'campaigns',
      'create',
      'partner-beta',
      '--slug',
      'deal-beta',
      '--destination',
      'https://merchant.example.com/b',
      '--partner',
      'beta',
    ]);
    ok(created);
    expect(created.stdout).to.match(/^ {2}partner: +beta$/m);
    const { body: stored } = await server.http.get(path('/campaigns/partner-beta')).set(tenant.auth).expect(200);
    expect(stored.partnerId).to.equal('beta');

    ok(await tenx(['campaigns', 'update', 'partner-beta', '--partner', 'alpha']));
    const { body: handed } = await server.http.get(path('/campaigns/partner-beta')).set(tenant.auth).expect(200);
    expect(handed.partnerId).to.equal('alpha');
    const shown = await tenx(['campaigns', 'get', 'partner-beta']);
    ok(shown);
    expect(shown.stdout).to.match(/^ {2}partner: +alpha$/m);

    const list = await tenx(['campaigns', 'list']);
    ok(list);
    const [header, ...rows] = list.stdout.trim().split('\n');
    expect(header).to.match(/\bPARTNER\b/);
    expect(rows.find((r) => r.startsWith('partner-beta '))).to.match(/\salpha\s/);

    ok(await tenx(['campaigns', 'update', 'partner-beta', '--partner', '']));
    const { body: none } = await server.http.get(path('/campaigns/partner-beta')).set(tenant.auth).expect(200);
    expect(none.partnerId).to.equal(null);

    const unknown = await tenx(['campaigns', 'update', 'partner-beta', '--partner', 'nobody']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/partner/i);
  });

  it('reconcile with a DATABASE_URL nothing answers: one line naming DATABASE_URL and where it points (never its password), exit 1', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: configHome,
      DATABASE_URL: `postgresql://tenx:s3cret@127.0.0.1:${port}/tenx`,
      LOG_LEVEL: 'warn',
    };
    const r = await runNode([TENX, 'reconcile', tenant.handle], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.include(`DATABASE_URL (postgresql://tenx@127.0.0.1:${port}/tenx): cannot connect`).and.include('ECONNREFUSED');
    expect(r.stderr).to.not.include('s3cret');
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });

  it('conversions reverse --conversion ID reverses the conversion `conversions list` shows by id (the API takes conversionId too)', async () => {
    const { body } = await server.http.get(path('/conversions')).set(tenant.auth).expect(200);
    const listed = (body.data as { conversionId: string; idempotencyKey: string }[]).find((c) => c.idempotencyKey === 'order-2')!;
    const byId = await tenx([
      'conversions',
      'reverse',
      '--conversion',
      listed.conversionId,
      '--amount',
      '25',
      '--reason',
      'refund',
      '--reversal-key',
      'by-id',
    ]);
    ok(byId);
    expect(byId.stdout).to.include(`Reversed 25.00 USD of conversion ${listed.conversionId} (refund)`);
    const { body: after } = await server.http
      .get(path(`/conversions/${listed.conversionId}`))
      .set(tenant.auth)
      .expect(200);
    expect(after).to.include({ reversedValue: 25, status: 'partially_reversed' });

    const unknown = await tenx([
      'conversions',
      'reverse',
      '--conversion',
      '0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77',
      '--reason',
      'refund',
      '--reversal-key',
      'nope',
    ]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include('no conversion of').and.include('0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77');
    const both = await tenx(['conversions', 'reverse', 'order-2', '--conversion', listed.conversionId, '--reason', 'refund']);
    expect(both.code, both.stderr).to.equal(2);
    const neither = await tenx(['conversions', 'reverse', '--reason', 'refund']);
    expect(neither.code, neither.stderr).to.equal(2);
    const typo = await tenx(['conversions', 'reverse', '--conversion', 'nope', '--reason', 'refund']);
    expect(typo.code, typo.stderr).to.equal(2);
    expect(typo.stderr).to.include('expected an id like');
  });

  it('payouts statement, export and events tail say "not a tenx server" when another app answers, 404 or a 200 HTML page, and write nothing', async () => {
    const other = createHttpServer((req, res) => {
      const ok = req.url!.startsWith('/ok');
      res
        .writeHead(ok ? 200 : 404, { 'content-type': 'text/html' })
        .end(`<html><body><h1>${ok ? 'Welcome to nginx!' : '404 Not Found'}</h1></body></html>`);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const at = (base: string, args: string[]) =>
      runNode([TENX, ...args], {
        ...process.env,
        XDG_CONFIG_HOME: configHome,
        TENX_URL: base,
        TENX_HANDLE: tenant.handle,
        TENX_TOKEN: tenant.ownerToken,
      });
    const out = join(configHome, 'export.csv');
    try {
      for (const base of [url, `${url}/ok`]) {
        const status = base === url ? 404 : 200;
        const statement = await at(base, ['payouts', 'statement', '0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77']);
        expect(statement.code, statement.stderr).to.equal(1);
        expect(statement.stderr).to.equal(`tenx: ${base}: not a tenx server (HTTP ${status})\n`);
        expect(statement.stdout).to.equal('');
        const exported = await at(base, ['export', '--out', out]);
        expect(exported.code, exported.stderr).to.equal(1);
        expect(exported.stderr).to.equal(`tenx: ${base}: not a tenx server (HTTP ${status})\n`);
        expect(existsSync(out), 'no export file').to.equal(false);
        // Not "following the analytics stream" of a page, reconnecting to it every second until Ctrl-C.
        const tail = await at(base, ['events', 'tail', '--count', '1']);
        expect(tail.code, tail.stderr).to.equal(1);
        expect(tail.stderr).to.equal(`tenx: ${base}: not a tenx server (HTTP ${status})\n`);
      }
    } finally {
      other.close();
    }
  });

  it('money shows with its two decimals, as everywhere else: conversions record (49.90 USD) and a flat reward (0.10 USD)', async () => {
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    const recorded = await tenx([
      'conversions',
      'record',
      '--url',
      server.url,
      '--ctx',
      ctx,
      '--event-type',
      'affiliate_click',
      '--value',
      '49.90',
      '--currency',
      'USD',
      '--idempotency-key',
      'order-4990',
      '--token',
      tenant.ownerToken,
    ]);
    ok(recorded);
    expect(recorded.stdout).to.include('(affiliate_click 49.90 USD)');

    const set = await tenx(['rewards', 'set', 'per-click', '--event', 'click', '--type', 'flat', '--amount', '0.1', '--currency', 'USD']);
    ok(set);
    expect(set.stdout).to.include('click pays 0.10 USD');
    const list = await tenx(['rewards', 'list']);
    ok(list);
    expect(list.stdout).to.match(/^per-click\s.*\s0\.10 USD\s/m);
  });
});
