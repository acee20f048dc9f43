import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ledgerRows } from '../support/commissions.ts';
import { clickThrough, partnerCampaign } from '../support/conversions.ts';
import { partnerToken } from '../support/partners.ts';
import { ADMIN_TOKEN, startTestServer, uniqueHandle, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI: partners, rewards, commissions, payouts; a partner logs in on its realm', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;

  function tenx(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const base: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome };
    for (const k of ['TENX_URL', 'TENX_HANDLE', 'TENX_TOKEN']) delete base[k];
    return runNode([TENX, ...args], { ...base, ...env });
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const asOwner = () => ({ TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken });
  const api = (path: string) => server.http.get(`/v2/handles/${tenant.handle}${path}`).set(tenant.auth).expect(200);

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-partners-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server, { campaignId: 'alpha-deal', slug: 'alpha-deal' });
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('partners create|update|list|token: the token alone on stdout, and it logs in as the partner and reads only its own funnel', async () => {
    ok(await tenx(['partners', 'create', 'alpha', '--name', 'Alpha Media', '--minimum-payout', '10'], asOwner()));
    ok(await tenx(['partners', 'create', 'beta', '--name', 'Beta Deals'], asOwner()));
    ok(await tenx(['partners', 'update', 'beta', '--status', 'SUSPENDED'], asOwner()));
    expect((await api('/partners/beta')).body.status).to.equal('SUSPENDED');
    const nothing = await tenx(['partners', 'update', 'beta'], asOwner());
    expect(nothing.code).to.equal(2);
    // Help marks what is required (it read as optional, then exit 2 without it).
    const help = await tenx(['partners', 'create', '--help'], asOwner());
    expect(help.stdout).to.match(/--name <name>\s+display name \(required\)/).and.match(/--email <email>\s+contact e-mail\n/);
    // An e-mail set, then removed with '' (it was sent as "" and refused as no e-mail address).
    ok(await tenx(['partners', 'update', 'beta', '--email', 'deals@beta.example'], asOwner()));
    expect((await api('/partners/beta')).body.email).to.equal('deals@beta.example');
    ok(await tenx(['partners', 'update', 'beta', '--email', ''], asOwner()));
    expect((await api('/partners/beta')).body.email).to.equal(null);
    const list = await tenx(['partners', 'list'], asOwner());
    ok(list);
    expect(list.stdout).to.match(/alpha\s+Alpha Media\s+ACTIVE\s+10\.00/);
    expect(list.stdout).to.match(/beta\s+Beta Deals\s+SUSPENDED/);
    const one = await tenx(['partners', 'get', 'alpha'], asOwner());
    ok(one);
    const alpha = (await api('/partners/alpha')).body;
    expect(one.stdout.split('\n')).to.deep.equal(['alpha  ACTIVE', '  name:            Alpha Media', '  e-mail:          -', '  minimum payout:  10.00', `  created:         ${alpha.createdAt}`, '']);
    const oneJson = await tenx(['partners', 'get', 'alpha', '--json'], asOwner());
    ok(oneJson);
    expect(JSON.parse(oneJson.stdout)).to.deep.equal(alpha);
    const unknown = await tenx(['partners', 'get', 'gamma'], asOwner());
    expect([unknown.code, unknown.stdout, unknown.stderr]).to.deep.equal([1, '', 'tenx: Partner not found.\n']);
    // An empty id named the list (printed as one partner of undefined fields, exit 0): a usage error now, as for campaigns.
    for (const args of [['partners', 'get', ''], ['partners', 'update', '', '--name', 'X'], ['campaigns', 'get', ''], ['campaigns', 'archive', '']]) {
      const bad = await tenx(args, asOwner());
      expect([bad.code, bad.stdout], args.join(' ')).to.deep.equal([2, '']);
      expect(bad.stderr).to.match(/expected a (partner|campaign) id \(lower-case letters, digits and dashes/);
    }

    await server.http.patch(`/v2/handles/${tenant.handle}/campaigns/alpha-deal`).set(tenant.auth).send({ partnerId: 'alpha' }).expect(200);
    await server.http
      .post(`/v2/handles/${tenant.handle}/campaigns`)
      .set(tenant.auth)
      .send({
        campaignId: 'beta-deal',
        goalType: 'AFFILIATE_CLICKOUT',
        status: 'ACTIVE',
        partnerId: 'beta',
        primaryLink: { slug: 'beta-deal', destinationUrl: 'https://merchant.example.com/b' },
      })
      .expect(201);
    await clickThrough(server, tenant.handle, 'alpha-deal');
    await clickThrough(server, tenant.handle, 'beta-deal');

    const issued = await tenx(['partners', 'token', 'alpha'], asOwner());
    ok(issued);
    const token = issued.stdout.trim();
    expect(token).to.match(/^tenx_ptk_\S+$/);
    expect(issued.stderr).to.include('/dashboard');

    const login = await tenx(['login', '--url', server.url, '--handle', tenant.handle, '--token', token]);
    ok(login);
    expect(login.stdout).to.include('partner alpha');
    // Who it is, and its balances (GET …/partner): nothing earned yet; the owner's login says which token it is.
    const me = await tenx(['whoami']);
    ok(me);
    expect(me.stdout).to.include(`handle ${tenant.handle}: partner alpha (`).and.include('ACTIVE').and.match(/^CURRENCY\s+PENDING\s+APPROVED\s+PAID$/m);
    expect(me.stderr).to.include('no balance yet');
    const meJson = JSON.parse((await tenx(['whoami', '--json'])).stdout);
    const asPartnerGet = await tenx(['partners', 'get', 'alpha']);
    expect([asPartnerGet.code, asPartnerGet.stdout]).to.deep.equal([2, '']);
    expect(asPartnerGet.stderr).to.include('a partner login reads its own partner, with its balances, by tenx whoami');
    expect(meJson.partner).to.deep.include({ partnerId: 'alpha', status: 'ACTIVE' });
    const owner = await tenx(['whoami'], asOwner());
    ok(owner);
    expect(owner.stdout).to.include('the owner token (').and.include('scopes: campaigns.read');
    // Stored login, no TENX_*: the funnel comes from the partner realm and holds only alpha's campaign.
    const funnel = await tenx(['analytics', 'funnel', '--json']);
    ok(funnel);
    const rows = JSON.parse(funnel.stdout).data.map((r: { campaignId: string; clicks: number }) => [r.campaignId, r.clicks]);
    expect(rows).to.deep.equal([['alpha-deal', 1]]);

    // groupBy=hour (issue 16) from the CLI, on the partner's realm: its own click in this hour only.
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString().replace('.000Z', 'Z');
    const byHour = await tenx(['analytics', 'by', 'hour', '--from', new Date(Date.now() - 3_600_000).toISOString()]);
    ok(byHour);
    expect(byHour.stdout).to.match(new RegExp(`^${hour}\\s+1\\s+`, 'm'));
    // Without --from: the command line's fault (exit 2), said in its flags (it was the API's 400 about `from`, exit 1).
    const noFrom = await tenx(['analytics', 'by', 'hour']);
    expect(noFrom.code).to.equal(2);
    expect(noFrom.stderr).to.include('analytics by hour needs --from');
    // More than 31 days of hours: exit 2 naming the bound (was the API's 400 about `from`, exit 1).
    const tooLong = await tenx(['analytics', 'by', 'hour', '--from', '2026-01-01', '--to', '2026-02-01']);
    expect([tooLong.code, tooLong.stderr]).to.deep.equal([2, 'tenx: analytics by hour covers at most 31 days: bring --from within 31 days of --to (or of now), or use analytics by day\n']);
    // A bare --to includes its day: January whole is 31 days.
    ok(await tenx(['analytics', 'by', 'hour', '--from', '2026-01-01', '--to', '2026-01-31']));
    // A partner login reads its own sub-IDs without --campaign; a handle login needs --campaign or --partner (below).
    ok(await tenx(['analytics', 'by', 'sub1']));
    // by partner is the handle's view: said as such (it was the API's raw 400 listing 14 allowed values: a CLI pass).
    const partnerView = await tenx(['analytics', 'by', 'partner']);
    expect([partnerView.code, partnerView.stderr]).to.deep.equal([2, 'tenx: analytics by partner is for handle tokens: a partner login reads only its own campaigns (try analytics by campaign)\n']);
    // Its lists come from the realm too: its own campaigns, commissions and payouts (no 403).
    const campaigns = await tenx(['campaigns', 'list', '--json']);
    ok(campaigns);
    expect(JSON.parse(campaigns.stdout).data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['alpha-deal']);
    expect((await tenx(['campaigns', 'list'])).stdout).to.match(/alpha-deal\s+ACTIVE\s+http/);
    const commissions = await tenx(['commissions', 'list', '--json']);
    ok(commissions);
    expect(JSON.parse(commissions.stdout)).to.include.keys('data', 'summary');
    ok(await tenx(['payouts', 'list']));
    ok(await tenx(['logout']));

    // A manager breaks down by partner, and filters any breakdown by one partner.
    const byPartner = await tenx(['analytics', 'by', 'partner', '--json'], asOwner());
    ok(byPartner);
    const partners = JSON.parse(byPartner.stdout).data.map((r: { key: string; clicks: number }) => [r.key, r.clicks]);
    expect(partners).to.deep.include.members([
      ['alpha', 1],
      ['beta', 1],
    ]);
    const betaOnly = await tenx(['analytics', 'by', 'campaign', '--partner', 'beta', '--json'], asOwner());
    ok(betaOnly);
    expect(JSON.parse(betaOnly.stdout).data.map((r: { key: string }) => r.key)).to.deep.equal(['beta-deal']);
  });

  it('ends quietly (exit 0, no stack) when the reader of its output goes away: tenx campaigns list | head -1', async () => {
    const child = spawn(process.execPath, [TENX, 'campaigns', 'list'], {
      env: { ...process.env, XDG_CONFIG_HOME: configHome, ...asOwner() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before the first line
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
  });

  it('rewards set|list|delete', async () => {
    const set = await tenx(['rewards', 'set', 'cpa', '--event', 'affiliate_click', '--type', 'percent', '--percent', '12.5', '--partner', 'alpha'], asOwner());
    ok(set);
    expect(set.stdout).to.equal('Reward cpa: affiliate_click pays 12.5% to partner alpha (hold 30 days).\n');
    const wide = await tenx(['rewards', 'set', 'wide', '--event', 'click', '--type', 'flat', '--amount', '0.05', '--hold-days', '0'], asOwner());
    expect(wide.stdout).to.match(/^Reward wide: click pays 0\.05 [A-Z]{3} to every partner \(hold 0 days\)\.\n$/);
    // Set again: the whole rule is replaced, and what it was is said (its hold of 0 days became the default 30 unsaid).
    const again = await tenx(['rewards', 'set', 'wide', '--event', 'click', '--type', 'flat', '--amount', '0.10'], asOwner());
    ok(again);
    expect(again.stderr).to.match(/^replaced the whole rule: it was click pays 0\.05 [A-Z]{3} to every partner \(hold 0 days\); options not given took their defaults\.\n$/);
    // Amounts and percents the API would refuse are usage errors before the round trip (a third decimal, a minus, over 100 %).
    for (const [flag, value] of [['--percent', '12.555'], ['--percent', '100.01'], ['--percent', '0']]) {
      const bad = await tenx(['rewards', 'set', 'bad', '--event', 'click', '--type', 'percent', flag, value], asOwner());
      expect(bad.code, value).to.equal(2);
      expect(bad.stderr, value).to.include('expected a number above 0 and at most 100, with at most 2 decimals');
    }
    const negative = await tenx(['partners', 'update', 'alpha', '--minimum-payout', '-1'], asOwner());
    expect(negative.code).to.equal(2);
    expect(negative.stderr).to.include('expected a number of 0 or more, with at most 2 decimals');
    const mixed = await tenx(['rewards', 'set', 'wide', '--event', 'click', '--type', 'percent', '--percent', '5', '--amount', '3'], asOwner());
    expect([mixed.code, mixed.stderr.split('\n')[0]]).to.deep.equal([2, "tenx: --amount and --currency are for --type flat; a percent rule pays in the conversion's currency"]);
    ok(await tenx(['rewards', 'delete', 'wide'], asOwner()));
    const list = await tenx(['rewards', 'list'], asOwner());
    ok(list);
    expect(list.stdout).to.match(/cpa\s+alpha\s+\*\s+affiliate_click\s+12\.5%/);
    const bad = await tenx(['rewards', 'set', 'x', '--event', 'click', '--type', 'flat'], asOwner());
    expect(bad.code).to.equal(2);
    // export --partner, as funnel and by take it: alpha's clicks only.
    const exported = await tenx(['export', '--partner', 'alpha', '--out', '-', '--format', 'ndjson', '--quiet'], asOwner());
    ok(exported);
    const lines = exported.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { partnerId: string });
    expect(lines.length).to.be.at.least(1);
    expect(lines.every((l) => l.partnerId === 'alpha'), exported.stdout).to.equal(true);
    const subs = await tenx(['analytics', 'by', 'sub1'], asOwner());
    expect([subs.code, subs.stderr.trim().split('\n')[0]]).to.deep.equal([2, 'tenx: analytics by sub1 needs --campaign or --partner: a handle\'s sub-IDs are read one campaign\'s or one partner\'s at a time']);
    ok(await tenx(['rewards', 'delete', 'cpa'], asOwner()));
    expect((await api('/rewards')).body.data).to.deep.equal([]);
  });

  it('commissions list|approve|reject with a reason; payouts run|mark-paid|statement', async () => {
    const [a, b, c] = await ledgerRows(server, [
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '12.34', status: 'pending' },
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '0.66', status: 'pending' },
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '5.00', status: 'pending' },
    ]);
    ok(await tenx(['commissions', 'approve', a, b, '--reason', 'orders shipped'], asOwner()));
    ok(await tenx(['commissions', 'reject', c, '--reason', 'test order'], asOwner()));
    expect((await api(`/commissions/${c}`)).body).to.include({ status: 'rejected', reason: 'test order' });
    const again = await tenx(['commissions', 'reject', a, b, '--reason', 'too late'], asOwner());
    expect(again.code, again.stdout).to.equal(1);
    // What was refused is an error: on stderr, as every error is, with how many (a pass found them on stdout).
    expect(again.stdout).to.not.include('refused');
    expect(again.stderr).to.include(`${a} refused: `).and.include(`${b} refused: `);
    expect(again.stderr.trim().split('\n').at(-1)).to.equal('tenx: 2 of 2 refused');
    const list = await tenx(['commissions', 'list', '--status', 'approved'], asOwner());
    ok(list);
    expect(list.stdout).to.match(/approved\s+2\s+13\.00 USD/);
    // Pending well after its hold: automatic approval did not take it, and the list says a person decides it.
    const [waiting] = await ledgerRows(server, [{ handle: tenant.handle, partnerId: 'beta', campaignId: 'alpha-deal', amount: '1.11', status: 'pending', autoApprove: false }]);
    const pending = await tenx(['commissions', 'list', '--status', 'pending', '--partner', 'beta'], asOwner());
    ok(pending);
    expect(pending.stdout).to.match(new RegExp(`^${waiting}\\s.*pending\\s.*\\(awaiting review: not approved automatically\\)$`, 'm'));
    ok(await tenx(['commissions', 'reject', waiting, '--reason', 'test row'], asOwner()));

    const run = await tenx(['payouts', 'run', '--key', 'december', '--partners', 'alpha', '--json'], asOwner());
    ok(run);
    const [payout] = JSON.parse(run.stdout).data;
    expect([payout.partnerId, payout.amount, payout.currency, payout.commissionCount]).to.deep.equal(['alpha', 13, 'USD', 2]);
    const rerun = await tenx(['payouts', 'run', '--key', 'december', '--json'], asOwner());
    expect(JSON.parse(rerun.stdout).data[0].payoutId).to.equal(payout.payoutId);
    const told = await tenx(['payouts', 'run', '--key', 'december'], asOwner());
    ok(told);
    // The first run named alpha; this one names no partner (all of them): told so.
    expect(told.stderr).to.include('key december ran before with another --period-end or --partners');
    const same = await tenx(['payouts', 'run', '--key', 'december', '--partners', 'alpha'], asOwner());
    expect(same.stderr).to.include("key december ran before: these are that run's payouts");
    expect(told.stdout).to.include('13.00');
    const statement = await tenx(['payouts', 'statement', payout.payoutId], asOwner());
    ok(statement);
    const lines = statement.stdout.trim().split(/\r?\n/);
    expect(lines.length).to.equal(3);
    expect(statement.stdout).to.include(a);
    // --amount: what was transferred; a payout that is not that now (a refund shrank it) is not marked paid.
    const wrong = await tenx(['payouts', 'mark-paid', payout.payoutId, '--reference', 'SEPA-1', '--amount', '12.99'], asOwner());
    expect([wrong.code, wrong.stderr]).to.deep.equal([1, `tenx: payout ${payout.payoutId} is 13.00 USD over 2 lines now, not 12.99: nothing was marked paid\n`]);
    expect((await api(`/payouts/${payout.payoutId}`)).body.status).to.equal('pending');
    ok(await tenx(['payouts', 'mark-paid', payout.payoutId, '--reference', 'SEPA-1', '--amount', '13.00'], asOwner()));
    expect((await api(`/payouts/${payout.payoutId}`)).body).to.include({ status: 'paid', reference: 'SEPA-1' });
    expect((await api(`/commissions/${a}`)).body.status).to.equal('paid');
    // The partner sees it paid in its balances.
    const alpha = await partnerToken(server, tenant, 'alpha');
    const asAlphaEnv = () => ({ TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: alpha.token });
    const me = await tenx(['whoami'], asAlphaEnv());
    ok(me);
    expect(me.stdout).to.match(/^USD\s+0\.00\s+0\.00\s+13\.00$/m);
    // Its minimum payout (10, set at creation): an approved balance below it waits for a later run.
    expect(me.stdout).to.include('minimum payout: 10.00 in each currency');
    const minimum = (minimumPayout: number) => server.http.patch(`/v2/handles/${tenant.handle}/partners/alpha`).set(tenant.auth).send({ minimumPayout }).expect(200);
    await minimum(25);
    expect((await tenx(['whoami'], asAlphaEnv())).stdout).to.include('minimum payout: 25.00 in each currency');
    expect(JSON.parse((await tenx(['whoami', '--json'], asAlphaEnv())).stdout).payoutTerms).to.deep.equal({ minimumPayout: 25 });
    await minimum(0);
    expect((await tenx(['whoami'], asAlphaEnv())).stdout).to.not.include('minimum payout');
    await minimum(10);
    // A partner cannot run payouts: told so, without a run key to retry with (a journey pass read one before the 403).
    const run403 = await tenx(['payouts', 'run'], asAlphaEnv());
    expect(run403.code).to.equal(1);
    expect(run403.stderr).to.not.include('payout run key');
    expect(run403.stderr).to.include('this command needs a handle token');
    // --partner is a handle login's filter: a partner's reads answered "Partner not found." for a partner that exists.
    for (const args of [['commissions', 'list'], ['payouts', 'list'], ['conversions', 'list'], ['analytics', 'funnel'], ['analytics', 'by', 'campaign'], ['export', '--out', '-']]) {
      const other = await tenx([...args, '--partner', 'beta'], asAlphaEnv());
      expect([other.code, other.stderr.trim()], args.join(' ')).to.deep.equal([2, "tenx: --partner is for handle tokens: a partner login reads only its own partner's rows (leave --partner out)"]);
    }
    // And downloads its statement with its own token: the same lines, without the manager's order-key column.
    const asAlpha = asAlphaEnv();
    // By the first 8 characters of its id, as the portal shows it (a journey pass: the CLI refused them).
    const own = await tenx(['payouts', 'statement', payout.payoutId.slice(0, 8)], asAlpha);
    ok(own);
    expect(own.stdout.split(/\r?\n/)[0]).to.not.include('idempotencyKey');
    const none = await tenx(['payouts', 'statement', payout.payoutId.startsWith('f') ? '00000000' : 'ffffffff'], asAlpha);
    expect([none.code, none.stderr.trim()]).to.deep.equal([1, `tenx: no payout's id starts with ${payout.payoutId.startsWith('f') ? '00000000' : 'ffffffff'} (\`tenx payouts list\` shows them)`]);
    expect((await tenx(['payouts', 'statement', 'abc'], asAlpha)).code).to.equal(2);
    // (The manager's was read before the payout was marked paid.)
    expect(own.stdout.trim().split(/\r?\n/).slice(1).sort()).to.deep.equal(lines.slice(1).map((l) => l.replace(/,[^,]*$/, '').replace(',approved,', ',paid,')).sort());
  });

  it('payouts run: a bare --period-end date is the end of that UTC day (as in the dashboard); nothing due names the hold; payouts cancel', async () => {
    ok(await tenx(['partners', 'create', 'held', '--name', 'Held Media'], asOwner()));
    const holdUntil = new Date(Date.now() + 10 * 86_400_000);
    holdUntil.setUTCHours(12, 0, 0, 0);
    const [x] = await ledgerRows(server, [
      { handle: tenant.handle, partnerId: 'held', campaignId: 'alpha-deal', amount: '9.99', status: 'approved', holdUntil },
    ]);
    // Approved by hand, still in its hold: nothing is due now, and the CLI says why.
    const early = await tenx(['payouts', 'run', '--partners', 'held'], asOwner());
    ok(early);
    expect(early.stdout).to.not.match(/held\s/);
    expect(early.stderr).to.include('hold');
    expect(early.stderr).to.include('--period-end');
    expect(early.stderr).to.not.include('no partner has an approved balance');
    // And the other cause, with its own remedy.
    expect(early.stderr).to.include("below the partner's minimum payout");

    // "Due by the day the hold ends" includes that day's noon (it was that day's first millisecond).
    const day = holdUntil.toISOString().slice(0, 10);
    const run = await tenx(['payouts', 'run', '--partners', 'held', '--period-end', day, '--json'], asOwner());
    ok(run);
    const [payout] = JSON.parse(run.stdout).data;
    expect(payout, run.stdout).to.include({ partnerId: 'held', amount: 9.99, periodEnd: `${day}T23:59:59.999Z` });
    const badDay = await tenx(['payouts', 'run', '--period-end', '2026-02-30'], asOwner());
    expect(badDay.code).to.equal(2);

    const cancel = await tenx(['payouts', 'cancel', payout.payoutId.slice(0, 13)], asOwner());
    ok(cancel);
    expect(cancel.stdout).to.include('canceled');
    expect((await api(`/payouts/${payout.payoutId}`)).body.status).to.equal('canceled');
    expect((await api(`/commissions/${x}`)).body).to.include({ status: 'approved', payoutId: null });
    const twice = await tenx(['payouts', 'cancel', payout.payoutId], asOwner());
    expect(twice.code).to.equal(1);
  });

  it('commissions approve with more ids than one bulk call takes (500) sends them in batches: all 501 approved', async () => {
    const ids = await ledgerRows(server, Array.from({ length: 501 }, () => ({ handle: tenant.handle, partnerId: 'many', amount: '0.01', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) })));
    const run = await tenx(['commissions', 'approve', ...ids, '--reason', 'batch'], asOwner());
    ok(run);
    expect(run.stdout.trim().split('\n').filter((l) => l.endsWith(' approved'))).to.have.length(501);
    const { rows } = await server.sql.query(`select count(*)::int as n from commissions where handle = $1 and partner_id = 'many' and status = 'approved'`, [tenant.handle]);
    expect(rows[0].n).to.equal(501);
  });

  it('commissions list --limit is one page like campaigns list: 1..500 checked (exit 2), the next page named by --cursor', async () => {
    const tooMany = await tenx(['commissions', 'list', '--limit', '900'], asOwner());
    expect(tooMany.code).to.equal(2);
    expect(tooMany.stderr).to.include('between 1 and 500');
    expect((await tenx(['commissions', 'list', '--limit', 'abc'], asOwner())).code).to.equal(2);
    await ledgerRows(server, [
      // In their hold: the one-a-minute automatic approval must not move them between the insert and the listing.
      { handle: tenant.handle, partnerId: 'held', campaignId: 'alpha-deal', amount: '1.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) },
      { handle: tenant.handle, partnerId: 'held', campaignId: 'alpha-deal', amount: '2.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) },
    ]);
    const first = await tenx(['commissions', 'list', '--partner', 'held', '--status', 'pending', '--limit', '1'], asOwner());
    ok(first);
    const cursor = /\(more: --cursor (\S+)\)/.exec(first.stderr)?.[1];
    expect(cursor, first.stderr).to.be.a('string');
    const second = await tenx(['commissions', 'list', '--partner', 'held', '--status', 'pending', '--limit', '1', '--cursor', cursor!], asOwner());
    ok(second);
    expect(second.stderr).to.not.include('more:');
    const amounts = [first.stdout, second.stdout].map((out) => /held\s+alpha-deal\s+conversion\s+1\s+(\S+ USD)/.exec(out)?.[1]);
    expect(amounts.sort()).to.deep.equal(['1.00 USD', '2.00 USD']);
  });

  it('seed-demo creates partners for its campaigns and a partner token that opens the portal, and says how', async () => {
    const handle = uniqueHandle('demo');
    const run = await tenx(['seed-demo', '--url', server.url, '--handle', handle, '--clicks', '20', '--seed', '7'], { ADMIN_TOKEN });
    ok(run);
    expect(run.stdout).to.include(`${server.url}/dashboard`);
    const token = /\n {2}(tenx_ptk_\S+)\n/.exec(run.stdout)?.[1];
    expect(token, run.stdout).to.be.a('string');
    const me = await server.http
      .get(`/v2/handles/${handle}/partner`)
      .set({ Authorization: `Bearer ${token}` })
      .expect(200);
    expect(me.body.partnerId).to.equal('alpha');
    const campaigns = await server.http
      .get(`/v2/handles/${handle}/partner/campaigns`)
      .set({ Authorization: `Bearer ${token}` })
      .expect(200);
    expect(campaigns.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['partner-alpha']);
  });

  it('seed-demo: every conversion earns the 10 % it prints (sale ones too), and some clicks carry sub-IDs', async () => {
    const handle = uniqueHandle('demo');
    const run = await tenx(['seed-demo', '--url', server.url, '--handle', handle, '--clicks', '150', '--seed', '7', '--concurrency', '1'], { ADMIN_TOKEN });
    ok(run);
    expect(run.stderr).to.include("10% of each conversion's value");
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const get = async (path: string) => (await server.http.get(`/v2/handles/${handle}${path}`).set(admin).expect(200)).body;
    const conversions = (await get('/conversions?limit=500')).data as { conversionId: string; eventType: string; value: number }[];
    const commissions = (await get('/commissions?type=conversion&limit=500')).data as { conversionId: string; amount: number }[];
    expect(new Set(conversions.map((c) => c.eventType))).to.deep.equal(new Set(['affiliate_click', 'sale']));
    const earned = new Map(commissions.map((c) => [c.conversionId, c.amount]));
    // 10 % rounded to the cent (half up on the exact decimal, which a float product may miss by one cent)
    for (const c of conversions) expect(earned.get(c.conversionId), `${c.eventType} ${c.conversionId}`).to.be.closeTo(c.value / 10, 0.0051);
    const sub1 = (await get('/analytics?groupBy=sub1&partnerId=alpha')).data as { key: string; clicks: number }[];
    expect(sub1.filter((row) => row.key !== '' && row.clicks > 0)).to.not.be.empty;
  });
});
