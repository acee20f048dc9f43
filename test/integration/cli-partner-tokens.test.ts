import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI: a manager lists and revokes a partner\'s tokens (a lost laptop) without curl', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let configHome: string;

  function tenx(args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken };
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const fails = (r: Run, code: number, said: string) => {
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(code);
    expect(r.stderr).to.include(said);
    expect(r.stderr).to.not.match(/^\s+at /m);
  };
  /** What the partner's own token gets on its realm. */
  const realm = async (token: string) => (await server.http.get(`/v2/handles/${tenant.handle}/partner`).set({ Authorization: `Bearer ${token}` })).status;

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-partner-tokens-'));
    server = await startTestServer();
    tenant = await createHandle(server);
    await createPartner(server, tenant, 'alpha');
    await createPartner(server, tenant, 'beta');
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('partners tokens list|revoke: the revoked token answers 401, the partner\'s other token still works, revoking again changes nothing', async () => {
    const laptop = (await tenx(['partners', 'token', 'alpha', '--name', 'laptop'])).stdout.trim();
    const tracker = (await tenx(['partners', 'token', 'alpha', '--name', 'tracker', '--postbacks'])).stdout.trim();
    const beta = await partnerToken(server, tenant, 'beta', { name: 'beta portal' });
    expect([await realm(laptop), await realm(tracker)]).to.deep.equal([200, 200]);

    const list = await tenx(['partners', 'tokens', 'list', 'alpha']);
    ok(list);
    expect(list.stdout.split('\n')[0]).to.match(/^TOKEN\s+NAME\s+SCOPES\s+CREATED\s+EXPIRES\s+REVOKED$/);
    expect(list.stdout).to.match(/^\S+\s+laptop\s+partner\.read\s+\S+Z\s+never\s+-$/m);
    expect(list.stdout).to.match(/^\S+\s+tracker\s+partner\.read,partner\.postbacks\.write\s+/m);
    expect(list.stdout).to.not.include('beta portal').and.not.include('tenx_ptk_');
    const json = await tenx(['partners', 'tokens', 'list', 'alpha', '--json']);
    ok(json);
    const tokens: { tokenId: string; name: string; token?: string }[] = JSON.parse(json.stdout).data;
    expect(tokens.map((t) => t.name).sort()).to.deep.equal(['laptop', 'tracker']);
    expect(tokens.every((t) => t.token === undefined)).to.equal(true);
    const laptopId = tokens.find((t) => t.name === 'laptop')!.tokenId;

    // Another partner's token id under this partner is not found (and stays valid).
    fails(await tenx(['partners', 'tokens', 'revoke', 'alpha', beta.tokenId]), 1, 'Token not found');
    expect(await realm(beta.token)).to.equal(200);

    const revoked = await tenx(['partners', 'tokens', 'revoke', 'alpha', laptopId]);
    ok(revoked);
    expect(revoked.stdout).to.match(new RegExp(`^Revoked partner token ${laptopId} "laptop" of alpha \\(at \\S+Z\\); it answers 401 from now on\\.$`, 'm'));
    expect(await realm(laptop)).to.equal(401);
    expect(await realm(tracker)).to.equal(200);
    const { rows } = await server.sql.query('select name, revoked_at is not null as revoked from partner_tokens where handle = $1 order by name', [tenant.handle]);
    expect(rows).to.deep.equal([
      { name: 'beta portal', revoked: false },
      { name: 'laptop', revoked: true },
      { name: 'tracker', revoked: false },
    ]);
    const after = await tenx(['partners', 'tokens', 'list', 'alpha']);
    expect(after.stdout).to.match(/^\S+\s+laptop\s+partner\.read\s+\S+Z\s+never\s+\S+Z$/m);

    const again = await tenx(['partners', 'tokens', 'revoke', 'alpha', laptopId, '--json']);
    ok(again);
    expect(JSON.parse(again.stdout).revokedAt, 'the first revocation stands').to.equal(/\(at (\S+Z)\)/.exec(revoked.stdout)?.[1]);
    expect(await realm(laptop)).to.equal(401);
  });

  it('usage errors (exit 2) before any request: a token id that is no id, a missing argument; --help shows an example', async () => {
    fails(await tenx(['partners', 'tokens', 'revoke', 'alpha', 'laptop']), 2, "invalid for argument 'tokenId'");
    fails(await tenx(['partners', 'tokens', 'revoke', 'alpha']), 2, "missing required argument 'tokenId'");
    fails(await tenx(['partners', 'tokens', 'list']), 2, "missing required argument 'partnerId'");
    fails(await tenx(['partners', 'tokens', 'list', 'nobody']), 1, 'not found');
    for (const command of ['list', 'revoke']) {
      const help = await tenx(['partners', 'tokens', command, '--help']);
      ok(help);
      expect(help.stdout).to.match(new RegExp(`Examples:\\n {2}\\$ tenx partners tokens ${command} `));
    }
  });
});
