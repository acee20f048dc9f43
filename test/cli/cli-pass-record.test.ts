// `tenx conversions record` without --token on a handle that flags ctx-only conversions (the default for new
// handles): the API answers 201 with "authenticated": false; the CLI must say so, or a merchant who forgot
// --token believes the sale counts like an authenticated one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { clickThrough, partnerCampaign } from '../support/conversions.ts';
import { runNode, type Run } from '../support/run.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx conversions record says when a conversion was recorded unauthenticated (flag handle, no --token)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;

  function tenx(args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome };
    for (const k of ['TENX_URL', 'TENX_HANDLE', 'TENX_TOKEN']) delete env[k];
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-record-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server, { publicConversions: 'flag' });
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('without --token: recorded, and a note says it is unauthenticated and what --token is for; with it: no note', async () => {
    const record = async (key: string, token?: string) => {
      const ctx = await clickThrough(server, tenant.handle, tenant.slug);
      return tenx(['conversions', 'record', '--url', server.url, '--ctx', ctx, '--event-type', 'affiliate_click', '--idempotency-key', key, ...(token ? ['--token', token] : [])]);
    };
    const { token: merchant } = await createToken(server, tenant.handle, tenant.ownerToken, ['conversions.write']);
    const [bare, signed] = await Promise.all([record('order-ctx-only'), record('order-merchant', merchant)]);
    ok(bare);
    expect(bare.stdout).to.include('Recorded conversion');
    expect(bare.stderr).to.include('recorded unauthenticated (no --token)').and.include('never verified').and.include('--token');
    ok(signed);
    expect(signed.stderr).to.equal('');

    const { body } = await server.http.get(`/v2/handles/${tenant.handle}/conversions`).set(tenant.auth).expect(200);
    const byKey = Object.fromEntries((body.data as { idempotencyKey: string; authenticated: boolean }[]).map((c) => [c.idempotencyKey, c.authenticated]));
    expect(byKey).to.deep.equal({ 'order-ctx-only': false, 'order-merchant': true });
  });

  it('on a handle that refuses ctx-only conversions, the 401 says which option to pass (it named the HTTP header)', async () => {
    const strict = await partnerCampaign(server, { publicConversions: 'refuse' });
    const ctx = await clickThrough(server, strict.handle, strict.slug);
    const refused = await tenx(['conversions', 'record', '--url', server.url, '--ctx', ctx, '--event-type', 'affiliate_click', '--idempotency-key', 'order-refused']);
    expect(refused.code, refused.stderr).to.equal(1);
    expect(refused.stderr).to.include('From the CLI: pass --token <a token of the handle with conversions.write>');
  });
});
