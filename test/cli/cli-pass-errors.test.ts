// What the CLI says when it cannot do what was asked, as a new user meets it: a revoked token, a token
// without the scope, a partner token on a handle command, a server that is not running. Each is one line
// naming what is wrong and what to do (which token or URL was used, how to change it), exit 1, no stack.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { clickThrough, partnerCampaign } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { runNode, type Run } from '../support/run.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI errors say what to do: revoked token, missing scope, partner token, server down', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;
  let revoked: string;

  function tenx(args: string[], env: Record<string, string>): Promise<Run> {
    const base: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome };
    for (const k of ['TENX_URL', 'TENX_HANDLE', 'TENX_TOKEN']) delete base[k];
    return runNode([TENX, ...args], { ...base, ...env });
  }
  const as = (token: string) => ({ TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: token });
  /** Exit 1 and one line on stderr (no stack trace), holding every one of `said`. */
  const refused = (r: Run, ...said: string[]) => {
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(1);
    expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    expect(r.stderr).to.not.match(/^\s+at /m);
    for (const s of said) expect(r.stderr).to.include(s);
  };

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-errors-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server);
    const token = await createToken(server, tenant.handle, tenant.ownerToken, ['campaigns.read']);
    revoked = token.token;
    await server.http.delete(`/v2/handles/${tenant.handle}/tokens/${token.tokenId}`).set(tenant.auth).expect(200);
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('a revoked token: the server\'s sentence, then where the token came from and how to replace it', async () => {
    refused(await tenx(['campaigns', 'list'], as(revoked)), 'was revoked', 'The token is TENX_TOKEN: set TENX_TOKEN to a valid one.');

    // The same token stored by an earlier `tenx login` (revoked since): log in again.
    const path = join(configHome, 'tenx', 'credentials.json');
    mkdirSync(join(configHome, 'tenx'), { recursive: true, mode: 0o700 });
    writeFileSync(path, JSON.stringify({ url: server.url, handle: tenant.handle, token: revoked }), { mode: 0o600 });
    refused(await tenx(['partners', 'list'], {}), 'was revoked', `the login stored in ${path}`, 'tenx login --url URL --handle HANDLE --token TOKEN');
  });

  it('a token without the scope: which scope, and how to get a token that has it', async () => {
    const { token } = await createToken(server, tenant.handle, tenant.ownerToken, ['analytics.read']);
    refused(await tenx(['partners', 'list'], as(token)), 'lacks the "partners.read" scope', 'tenx tokens create --name NAME --scopes SCOPE');
  });

  it('a partner token on a handle command: it needs a handle token', async () => {
    await createPartner(server, tenant, 'alpha');
    const { token } = await partnerToken(server, tenant, 'alpha');
    refused(await tenx(['tokens', 'list'], as(token)), 'partner realm', 'this command needs a handle token', 'set TENX_TOKEN to the owner token or a PAT');
  });

  it('a server that is not running: "cannot reach URL: ECONNREFUSED", is tenx running, and where the URL came from', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const down = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const env = { TENX_URL: down, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken };
    refused(await tenx(['campaigns', 'list'], env), `cannot reach ${down}: ECONNREFUSED`, 'is tenx running?', 'TENX_URL');
    const merchant = await tenx(['conversions', 'record', '--url', down, '--ctx', 'x', '--event-type', 'sale', '--idempotency-key', 'k'], {});
    refused(merchant, `cannot reach ${down}`, 'is tenx running?', '--url');
  });

  it('a token with a line break in it: a usage error about the token (exit 2), not "cannot reach" the server', async () => {
    const r = await tenx(['campaigns', 'list'], { TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: `${tenant.ownerToken}\nextra` });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.include('the token holds a character a request header cannot carry').and.not.include('cannot reach');
  });

  it('a server that takes the connection and never answers: no answer in TENX_TIMEOUT seconds, not 300 s of silence', async () => {
    const silent = createServer((socket) => socket.on('data', () => undefined)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const r = await tenx(['campaigns', 'list'], { TENX_URL: url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken, TENX_TIMEOUT: '1' });
      refused(r, `${url} gave no answer in 1 s`, 'TENX_TIMEOUT');
      expect(Date.now() - started, 'well before the 300 s idle timeout').to.be.below(30_000);
    } finally {
      silent.close();
    }
  });

  it('create-handle and seed-demo with a wrong ADMIN_TOKEN: that ADMIN_TOKEN is not the server\'s operator token, and where the right one is', async () => {
    const env = { ADMIN_TOKEN: 'tenx_admin_not-the-servers-token-0123456789' };
    const [create, seed] = await Promise.all([
      tenx(['create-handle', 'wrong-admin', '--name', 'X', '--url', server.url], env),
      tenx(['seed-demo', '--url', server.url, '--handle', 'wrong-admin'], env),
    ]);
    for (const r of [create, seed]) refused(r, 'not valid', `ADMIN_TOKEN is not the operator token of ${server.url}`, 'DATA_DIR/secrets.json');
  });

  it('conversions record --token with a revoked or scope-less token: what --token must be, and how to get one', async () => {
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    const { token: noScope } = await createToken(server, tenant.handle, tenant.ownerToken, ['analytics.read']);
    const record = (token: string) =>
      tenx(['conversions', 'record', '--url', server.url, '--ctx', ctx, '--event-type', 'affiliate_click', '--idempotency-key', `k-${token.slice(-6)}`, '--token', token], {});
    const [bad, scopeless] = await Promise.all([record(revoked), record(noScope)]);
    refused(bad, 'not valid', '--token must be a live token', 'tenx tokens create --name shop --scopes conversions.write');
    refused(scopeless, 'lacks the "conversions.write" scope', '--token must be a live token');
    const { body } = await server.http.get(`/v2/handles/${tenant.handle}/conversions`).set(tenant.auth).expect(200);
    expect(body.data, 'nothing was recorded').to.have.length(0);
  });

  it('login: an empty stdin for --token - and a missing option are usage errors (exit 2) naming what is missing', async () => {
    const empty = await tenx(['login', '--url', server.url, '--handle', tenant.handle, '--token', '-'], {});
    expect(empty.code, empty.stderr).to.equal(2);
    expect(empty.stderr).to.include('--token - read nothing from stdin');
    const partial = await tenx(['login', '--url', server.url], {});
    expect(partial.code, partial.stderr).to.equal(2);
    expect(partial.stderr).to.include('missing: --handle, --token');
  });
});
