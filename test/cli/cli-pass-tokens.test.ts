// `tenx tokens rotate` on the token the CLI itself runs with: the old secret stops working at once, so a
// stored login must follow (or the user be told that TENX_TOKEN must), else every next command is a 401.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runNode, type Run } from '../support/run.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx tokens rotate of the token in use: the stored login follows, TENX_TOKEN is named', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let configHome: string;

  function tenx(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const base: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome };
    for (const k of ['TENX_URL', 'TENX_HANDLE', 'TENX_TOKEN']) delete base[k];
    return runNode([TENX, ...args], { ...base, ...env });
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const tokenId = async (token: string) =>
    (await server.http.get(`/v2/handles/${tenant.handle}/tokens/current`).set({ Authorization: `Bearer ${token}` }).expect(200)).body.tokenId as string;

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-tokens-'));
    server = await startTestServer();
    tenant = await createHandle(server);
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('rotating the logged-in token writes the new secret into the login, so the next command works', async () => {
    const { token } = await createToken(server, tenant.handle, tenant.ownerToken, ['tokens.write', 'campaigns.read']);
    ok(await tenx(['login', '--url', server.url, '--handle', tenant.handle, '--token', token]));
    const rotated = await tenx(['tokens', 'rotate', await tokenId(token)]);
    ok(rotated);
    const secret = rotated.stdout.trim();
    expect(secret).to.match(/^tenx_pat_/).and.not.equal(token);
    const path = join(configHome, 'tenx', 'credentials.json');
    expect(rotated.stderr).to.include(`It was the token of your login: ${path} now holds the new secret.`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.deep.equal({ url: server.url, handle: tenant.handle, token: secret });
    ok(await tenx(['campaigns', 'list']));
  });

  it('rotating another token leaves the login alone; rotating the TENX_TOKEN one says TENX_TOKEN must change', async () => {
    const { token: mine } = await createToken(server, tenant.handle, tenant.ownerToken, ['tokens.write', 'campaigns.read']);
    const { token: other } = await createToken(server, tenant.handle, tenant.ownerToken, ['campaigns.read']);
    ok(await tenx(['login', '--url', server.url, '--handle', tenant.handle, '--token', mine]));
    const path = join(configHome, 'tenx', 'credentials.json');
    const before = readFileSync(path, 'utf8');
    const another = await tenx(['tokens', 'rotate', await tokenId(other), '--json']);
    ok(another);
    expect(another.stderr).to.not.include('your login');
    expect(readFileSync(path, 'utf8')).to.equal(before);

    const env = { TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: mine };
    const viaEnv = await tenx(['tokens', 'rotate', await tokenId(mine)], env);
    ok(viaEnv);
    expect(viaEnv.stderr).to.include('TENX_TOKEN, which still holds the old secret: set TENX_TOKEN to the new one');
    expect(readFileSync(path, 'utf8'), 'the stored login is not the TENX_TOKEN one').to.equal(before);
  });

  it('revoking the owner token (409) names the CLI command that replaces its secret', async () => {
    const env = { TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken };
    const ownerId = await tokenId(tenant.ownerToken);
    const r = await tenx(['tokens', 'revoke', ownerId], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.include('cannot be revoked').and.include(`With the CLI: tenx tokens rotate ${ownerId}`);
  });
});
