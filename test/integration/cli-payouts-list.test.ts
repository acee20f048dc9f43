import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ledgerRows } from '../support/commissions.ts';
import { partnerCampaign } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

interface Payout { payoutId: string; partnerId: string; currency: string; status: string }

describe('tenx CLI: payouts list by partner and status, one page at a time', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;
  let payouts: Payout[];

  function tenx(args: string[], token = tenant.ownerToken): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: token };
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const fails = (r: Run, said: string) => {
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(2);
    expect(r.stderr).to.include(said);
    expect(r.stderr).to.not.match(/^\s+at /m);
  };
  const listed = async (args: string[], token?: string) => {
    const r = await tenx(['payouts', 'list', '--json', ...args], token);
    ok(r);
    return (JSON.parse(r.stdout).data as Payout[]).map((p) => `${p.partnerId} ${p.currency} ${p.status}`).sort();
  };

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-payouts-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server);
    await createPartner(server, tenant, 'alpha');
    await createPartner(server, tenant, 'beta');
    await ledgerRows(server, [
      { handle: tenant.handle, partnerId: 'alpha', amount: '10.00' },
      { handle: tenant.handle, partnerId: 'alpha', amount: '20.00', currency: 'EUR' },
      { handle: tenant.handle, partnerId: 'beta', amount: '30.00' },
    ]);
    const run = await server.http.post(`/v2/handles/${tenant.handle}/payouts`).set(tenant.auth).send({ idempotencyKey: 'december' }).expect(201);
    payouts = run.body.data;
    const id = (partnerId: string, currency: string) => payouts.find((p) => p.partnerId === partnerId && p.currency === currency)!.payoutId;
    await server.http.post(`/v2/handles/${tenant.handle}/payouts/${id('alpha', 'EUR')}/mark-paid`).set(tenant.auth).send({}).expect(200);
    await server.http.post(`/v2/handles/${tenant.handle}/payouts/${id('beta', 'USD')}/cancel`).set(tenant.auth).send({}).expect(200);
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('--partner and --status filter on the server; the table says when nothing matches', async () => {
    expect(await listed([])).to.deep.equal(['alpha EUR paid', 'alpha USD pending', 'beta USD canceled']);
    expect(await listed(['--partner', 'alpha'])).to.deep.equal(['alpha EUR paid', 'alpha USD pending']);
    expect(await listed(['--status', 'canceled'])).to.deep.equal(['beta USD canceled']);
    expect(await listed(['--partner', 'alpha', '--status', 'pending'])).to.deep.equal(['alpha USD pending']);
    const table = await tenx(['payouts', 'list', '--partner', 'alpha', '--status', 'paid']);
    ok(table);
    expect(table.stdout).to.match(/^\S+\s+alpha\s+20\.00 EUR\s+1\s+paid\s/m);
    expect(table.stdout.trim().split('\n')).to.have.length(2);
    const none = await tenx(['payouts', 'list', '--partner', 'beta', '--status', 'paid']);
    ok(none);
    expect(none.stderr).to.include('no payouts match');
    // A partner token reads its own payouts on its realm, with the same filters.
    const { token } = await partnerToken(server, tenant, 'alpha');
    expect(await listed(['--status', 'pending'], token)).to.deep.equal(['alpha USD pending']);
  });

  it('--limit is one page and names the next --cursor; following the cursors lists each payout once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const r = await tenx(['payouts', 'list', '--limit', '1', ...(cursor ? ['--cursor', cursor] : [])]);
      ok(r);
      seen.push(...payouts.filter((p) => r.stdout.includes(p.payoutId)).map((p) => p.payoutId));
      cursor = /\(more: --cursor (\S+)\)/.exec(r.stderr)?.[1];
      expect(Boolean(cursor), `page ${page + 1}: ${r.stderr}`).to.equal(page < 2);
    }
    expect(seen.sort()).to.deep.equal(payouts.map((p) => p.payoutId).sort());
  });

  it('payouts get: one payout by its id or its first 8 characters; a partner token reads its own, and another\'s is not found', async () => {
    const paid = payouts.find((p) => p.partnerId === 'alpha' && p.currency === 'EUR')!;
    const held = (await server.http.get(`/v2/handles/${tenant.handle}/payouts/${paid.payoutId}`).set(tenant.auth).expect(200)).body;
    const shown = await tenx(['payouts', 'get', paid.payoutId.slice(0, 8)]);
    ok(shown);
    expect(shown.stdout.split('\n')).to.deep.equal([
      `${paid.payoutId}  paid`,
      '  partner:     alpha',
      '  amount:      20.00 EUR over 1 line',
      `  period end:  ${held.periodEnd}`,
      `  created:     ${held.createdAt}`,
      `  paid:        ${held.paidAt}`,
      '',
    ]);
    const canceled = payouts.find((p) => p.partnerId === 'beta')!;
    const shownCanceled = await tenx(['payouts', 'get', canceled.payoutId]);
    ok(shownCanceled);
    expect(shownCanceled.stdout).to.include(`${canceled.payoutId}  canceled\n`).and.include('  amount:      30.00 USD over 1 line (when canceled: they are approved again, for a later run)\n');
    const json = await tenx(['payouts', 'get', paid.payoutId, '--json']);
    ok(json);
    expect(JSON.parse(json.stdout)).to.deep.equal(held);
    const { token } = await partnerToken(server, tenant, 'alpha');
    const own = await tenx(['payouts', 'get', paid.payoutId, '--json'], token);
    ok(own);
    expect(JSON.parse(own.stdout).payoutId).to.equal(paid.payoutId);
    const betas = payouts.find((p) => p.partnerId === 'beta')!;
    const other = await tenx(['payouts', 'get', betas.payoutId], token);
    expect([other.code, other.stdout, other.stderr]).to.deep.equal([1, '', 'tenx: Payout not found.\n']);
  });

  it('bad options are usage errors (exit 2) naming the option; --help shows an example', async () => {
    fails(await tenx(['payouts', 'list', '--status', 'done']), "option '--status <status>' argument 'done' is invalid");
    fails(await tenx(['payouts', 'list', '--limit', '501']), "option '--limit <n>' argument '501' is invalid");
    fails(await tenx(['payouts', 'list', '--limit', 'ten']), "option '--limit <n>' argument 'ten' is invalid");
    const help = await tenx(['payouts', 'list', '--help']);
    ok(help);
    expect(help.stdout).to.match(/Examples:\n {2}\$ tenx payouts list --/);
  });
});
