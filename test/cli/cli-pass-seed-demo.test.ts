// `tenx seed-demo` run again on its handle with ADMIN_TOKEN (it reuses the handle): the owner token is not shown
// again and the user's login may be another handle or none, so "Next: tenx analytics funnel" alone would read the
// wrong handle or fail with "not logged in". The hint must name the handle to log in to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runNode, type Run } from '../support/run.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { ADMIN_TOKEN, createHandle, createToken, startTestServer, uniqueHandle, type TestServer } from '../support/server.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx seed-demo again on an existing handle: its "Next:" names the handle to log in to', function () {
  this.timeout(180_000);
  let server: TestServer;
  let configHome: string;

  function tenx(args: string[], extra: NodeJS.ProcessEnv = { ADMIN_TOKEN }): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, ...extra };
    if (!extra.ADMIN_TOKEN) delete env.ADMIN_TOKEN;
    for (const k of ['TENX_URL', 'TENX_HANDLE', 'TENX_TOKEN']) delete env[k];
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-seed-'));
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('the first run prints the owner token and how to log in; the second says to log in to that handle', async () => {
    const handle = uniqueHandle('seed');
    const args = ['seed-demo', '--url', server.url, '--handle', handle, '--clicks', '10', '--seed', '3'];
    const first = await tenx(args);
    ok(first);
    expect(first.stdout).to.include(`Owner token of ${handle} (shown once)`).and.include(`Next: tenx login --url ${server.url} --handle ${handle}`);
    // Secrets go to stdout alone: stderr (progress, notices) is what CI logs keep.
    expect(first.stderr).to.not.match(/tenx_(pat|ptk)_/);
    const again = await tenx(args);
    ok(again);
    expect(again.stdout).to.not.include('Owner token');
    expect(again.stdout).to.include(`Next: tenx login --url ${server.url} --handle ${handle} --token <a token of ${handle}`);
  });

  it("refuses to seed a handle with partners of its own unless told --yes (it would add handle-wide rules and turn bot protection off)", async () => {
    const real = await createHandle(server);
    await createPartner(server, real, 'realpartner');
    const refused = await tenx(['seed-demo', '--url', server.url, '--handle', real.handle, '--clicks', '10']);
    expect(refused.code, refused.stderr).to.equal(2);
    expect(refused.stderr).to.include(`handle ${real.handle} already has partner realpartner`).and.include('--yes');
    // Nothing was written: no demo partner, no rule, the burst detector as it was.
    const partners = await server.http.get(`/v2/handles/${real.handle}/partners`).set(real.auth).expect(200);
    expect(partners.body.data.map((p: { partnerId: string }) => p.partnerId)).to.deep.equal(['realpartner']);
    expect((await server.http.get(`/v2/handles/${real.handle}/rewards`).set(real.auth).expect(200)).body.data).to.deep.equal([]);
    // A login that can read none of the lists cannot tell a real handle from a fresh one: it stops too.
    const writer = await createToken(server, real.handle, real.ownerToken, ['partners.write', 'campaigns.write', 'plugins.write']);
    ok(await tenx(['login', '--url', server.url, '--handle', real.handle, '--token', writer.token], {}));
    const blind = await tenx(['seed-demo', '--clicks', '10'], {});
    expect(blind.code, blind.stderr).to.equal(2);
    expect(blind.stderr).to.include('this login cannot read');
    const seeded = await tenx(['seed-demo', '--url', server.url, '--handle', real.handle, '--clicks', '10', '--seed', '4', '--yes']);
    ok(seeded);
    expect((await server.http.get(`/v2/handles/${real.handle}/rewards`).set(real.auth).expect(200)).body.data).to.have.length(2);
  });

  it("takes a partner or campaign for the demo's own only when it is what the demo makes, not when its id is the demo's", async () => {
    // A network's own partner "alpha" and campaign "partner-alpha": the seed took them as its own, gave the campaign the
    // demo's routing rules and added handle-wide rules (a black-box pass found it).
    const real = await createHandle(server);
    await createPartner(server, real, 'alpha', { name: 'Real Alpha Media' });
    const campaign = { campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha', primaryLink: { slug: 'spring', destinationUrl: 'https://shop.example.com/spring' } };
    await server.http.post(`/v2/handles/${real.handle}/campaigns`).set(real.auth).send(campaign).expect(201);
    const refused = await tenx(['seed-demo', '--url', server.url, '--handle', real.handle, '--clicks', '10']);
    expect(refused.code, refused.stderr).to.equal(2);
    expect(refused.stderr).to.include(`handle ${real.handle} already has partner alpha, campaign partner-alpha`);
    const kept = await server.http.get(`/v2/handles/${real.handle}/campaigns/partner-alpha`).set(real.auth).expect(200);
    expect(kept.body.routingRules, 'its rules untouched').to.deep.equal([]);
    expect((await server.http.get(`/v2/handles/${real.handle}/rewards`).set(real.auth).expect(200)).body.data).to.deep.equal([]);
    expect((await server.http.get(`/v2/handles/${real.handle}/partners`).set(real.auth).expect(200)).body.data).to.have.length(1);
  });

  it('a seed that fails after creating its handle has already printed the owner token, and a bad --webhook-url creates nothing', async () => {
    // The token was printed only at the end: a refused webhook or a Ctrl-C left a handle nobody but the operator could use.
    const bad = uniqueHandle('seedbad');
    const refusedEarly = await tenx(['seed-demo', '--url', server.url, '--handle', bad, '--clicks', '10', '--webhook-url', 'notaurl']);
    expect(refusedEarly.code, refusedEarly.stderr).to.equal(2);
    expect(refusedEarly.stderr).to.include('--webhook-url must be an http(s) URL');
    await server.http.get(`/v2/handles/${bad}`).set(server.admin()).expect(404);
    // A URL the API refuses (credentials in it): the handle exists, its token was said, and nothing else was written.
    const handle = uniqueHandle('seedfail');
    const failed = await tenx(['seed-demo', '--url', server.url, '--handle', handle, '--clicks', '10', '--webhook-url', 'https://user:secret@127.0.0.1/hook']);
    expect(failed.code, failed.stderr).to.equal(1);
    const token = new RegExp(`^Owner token of ${handle} \\(shown once\\): (\\S+)$`, 'm').exec(failed.stdout)?.[1];
    expect(token, failed.stdout).to.match(/^tenx_pat_/);
    expect(failed.stderr, 'no secret on stderr').to.not.include(token!);
    const campaigns = await server.http.get(`/v2/handles/${handle}/campaigns`).set({ authorization: `Bearer ${token}` }).expect(200);
    expect(campaigns.body.data).to.deep.equal([]);
  });

  it('a login without plugins.write (or commissions.write) still seeds the whole demo, saying what it left out', async () => {
    const h = await createHandle(server);
    const pat = await createToken(server, h.handle, h.ownerToken, ['partners.read', 'partners.write', 'campaigns.read', 'campaigns.write', 'conversions.write', 'analytics.read']);
    ok(await tenx(['login', '--url', server.url, '--handle', h.handle, '--token', pat.token], {}));
    const seeded = await tenx(['seed-demo', '--clicks', '20', '--seed', '5'], {});
    ok(seeded);
    expect(seeded.stderr).to.include("kept the burst detector's limit").and.include('no reward rule');
    const campaigns = await server.http.get(`/v2/handles/${h.handle}/campaigns`).set(h.auth).expect(200);
    expect(campaigns.body.data.map((c: { campaignId: string }) => c.campaignId)).to.include.members(['partner-alpha', 'partner-beta']);
    const funnel = await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(h.auth).expect(200);
    expect(funnel.body.totals.clicks).to.equal(20);
  });

  it('goes to the logged-in server without --url or TENX_URL; a partner\'s login is told what it needs', async () => {
    // A README walk-through logs in to its server, then runs seed-demo with ADMIN_TOKEN: it went to localhost:3000.
    const tenant = await createHandle(server);
    ok(await tenx(['login', '--url', server.url, '--handle', tenant.handle, '--token', tenant.ownerToken]));
    const handle = uniqueHandle('seedurl');
    const run = await tenx(['seed-demo', '--handle', handle, '--clicks', '5', '--seed', '1']);
    ok(run);
    expect(run.stdout).to.include(`Owner token of ${handle} (shown once)`);
    expect((await server.sql.query('select count(*)::int as n from tenants where handle = $1', [handle])).rows[0].n).to.equal(1);

    await createPartner(server, tenant, 'gamma');
    const gamma = await partnerToken(server, tenant, 'gamma');
    ok(await tenx(['login', '--url', server.url, '--handle', tenant.handle, '--token', gamma.token]));
    const partner = await tenx(['seed-demo'], {});
    expect(partner.code, partner.stderr).to.equal(2);
    expect(partner.stderr).to.include('logged in as a partner of').and.include('seed-demo needs ADMIN_TOKEN');
  });

  it('--seed replays the same traffic at any --concurrency: the same clicks, bots, conversions and revenue, as stored', async () => {
    const seeded = async (concurrency: number) => {
      const handle = uniqueHandle();
      const run = await tenx(['seed-demo', '--url', server.url, '--handle', handle, '--clicks', '80', '--seed', '7', '--concurrency', String(concurrency), '--json']);
      ok(run);
      const { rows } = await server.sql.query(
        `select campaign_id, count(*)::int as n, sum(value)::text as value from conversions where handle = $1 group by 1 order by 1`, [handle]);
      return { campaigns: JSON.parse(run.stdout).campaigns, stored: rows };
    };
    const one = await seeded(1);
    expect(one.stored.length, 'the demo converted something').to.be.greaterThan(0);
    expect(await seeded(16)).to.deep.equal(one);
  });
});
