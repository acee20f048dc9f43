// What the black-box pass over the CLI left open, each reproduced first: a password in the server URL printed back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { partnerCampaign } from '../support/conversions.ts';
import { createPartner } from '../support/partners.ts';
import { runNode, type Run } from '../support/run.ts';
import { ADMIN_TOKEN, startTestServer, uniqueHandle, type TestServer } from '../support/server.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI black-box pass, leftovers', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;

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

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-leftovers-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server);
    await createPartner(server, tenant, 'beta');
  });
  after(async () => {
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
});
