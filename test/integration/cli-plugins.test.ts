import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseSettings } from '../../scripts/cli/plugins.ts';
import { clickThrough, partnerCampaign } from '../support/conversions.ts';
import { storedClicks } from '../support/redirect.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx CLI: plugins list|show|enable|disable|set', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;

  function tenx(args: string[], token = tenant.ownerToken): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: token };
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const burst = async () => {
    const res = await server.http.get(`/v2/handles/${tenant.handle}/plugins`).set(tenant.auth).expect(200);
    return (res.body.botDetectors as { name: string; enabled: boolean; settings: Record<string, unknown> }[]).find((p) => p.name === 'burst')!;
  };

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-plugins-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server);
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('lists every plugin with whether the handle uses it, and shows one with the settings it takes', async () => {
    const list = await tenx(['plugins', 'list']);
    ok(list);
    expect(list.stdout).to.match(/^KIND\s+NAME\s+VERSION\s+ENABLED\s+SETTINGS/);
    expect(list.stdout).to.match(/bot-detector\s+burst\s+1\.0\.0\s+yes\s+\{"maxClicksPerMinute":30\}/);
    expect(list.stdout).to.match(/goal-type\s+AFFILIATE_CLICKOUT/);
    const detectors = await tenx(['plugins', 'list', '--kind', 'bot-detector', '--json']);
    ok(detectors);
    const rows = JSON.parse(detectors.stdout) as { kind: string }[];
    expect(rows.length).to.be.at.least(4);
    expect(rows.every((r) => r.kind === 'bot-detector')).to.equal(true);
    const show = await tenx(['plugins', 'show', 'burst']);
    ok(show);
    expect(show.stdout).to.include('burst 1.0.0  (bot-detector, enabled)').and.include('maxClicksPerMinute (integer, ≥ 1, ≤ 1000000)');
  });

  it('set changes only the keys given, and the server judges clicks by it at once', async () => {
    ok(await tenx(['plugins', 'set', 'burst', 'maxClicksPerMinute=2']));
    expect(await burst()).to.deep.include({ enabled: true, settings: { maxClicksPerMinute: 2 } });
    // One visitor (the test's own address) clicking three times within the minute.
    for (let i = 0; i < 3; i++) await clickThrough(server, tenant.handle, 'deal-alpha');
    const rows = await storedClicks(server, tenant.handle, 3);
    expect(rows.map((r) => r.is_bot)).to.deep.equal([false, false, true]);
    expect(rows[2].bot_reason).to.equal('burst:3/min');
  });

  it('disable keeps the settings; enable turns it back on with them', async () => {
    ok(await tenx(['plugins', 'disable', 'burst']));
    expect(await burst()).to.deep.include({ enabled: false, settings: { maxClicksPerMinute: 2 } });
    const enabled = await tenx(['plugins', 'enable', 'burst', 'maxClicksPerMinute=45', '--json']);
    ok(enabled);
    expect(JSON.parse(enabled.stdout)).to.deep.include({ name: 'burst', enabled: true, settings: { maxClicksPerMinute: 45 } });
  });

  it("refuses what is wrong: the API's word for a bad setting (1), an unknown plugin (1, as any unknown id), a pair that is not key=value (2), a token without plugins.write (1)", async () => {
    const bad = await tenx(['plugins', 'set', 'burst', 'maxClicksPerMinute=0']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('not valid for plugin "burst"');
    // set reads the list (the CLI finds it missing), enable alone asks the API (its 404): the same sentence, the same exit.
    const unknown = await tenx(['plugins', 'set', 'no-such-plugin', 'a=1']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include('Plugin "no-such-plugin" not found.');
    const unknownEnable = await tenx(['plugins', 'enable', 'no-such-plugin']);
    expect(unknownEnable.code, 'enable alone asks the API, whose 404 is an API error').to.equal(1);
    expect(unknownEnable.stderr).to.equal(unknown.stderr);
    const pair = await tenx(['plugins', 'set', 'burst', 'maxClicksPerMinute']);
    expect(pair.code).to.equal(2);
    const pat = await server.http.post(`/v2/handles/${tenant.handle}/tokens`).set(tenant.auth).send({ name: 'reader', scopes: ['plugins.read'] }).expect(201);
    ok(await tenx(['plugins', 'list'], pat.body.token));
    const denied = await tenx(['plugins', 'set', 'burst', 'maxClicksPerMinute=50'], pat.body.token);
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.include('plugins.write');
    expect((await burst()).settings).to.deep.equal({ maxClicksPerMinute: 45 });
    // plugins.write alone turns a plugin off and on (no read of the list first); settings need plugins.read too.
    const writer = await server.http.post(`/v2/handles/${tenant.handle}/tokens`).set(tenant.auth).send({ name: 'writer', scopes: ['plugins.write'] }).expect(201);
    ok(await tenx(['plugins', 'disable', 'link-preview', '--json'], writer.body.token));
    ok(await tenx(['plugins', 'enable', 'link-preview', '--json'], writer.body.token));
    const blind = await tenx(['plugins', 'set', 'burst', 'maxClicksPerMinute=50'], writer.body.token);
    expect(blind.code).to.equal(1);
    expect(blind.stderr).to.include('plugins.read');
  });

  it('reads a value as JSON when it can, else as text', () => {
    expect(parseSettings(['n=30', 'on=true', 'list=["a","b"]', 'map={"email":"newsletter"}', 'label=Spring sale', 'empty='])).to.deep.equal({
      n: 30, on: true, list: ['a', 'b'], map: { email: 'newsletter' }, label: 'Spring sale', empty: '',
    });
    expect(() => parseSettings(['a=1', 'a=2'])).to.throw('a is given twice');
    // A setting the schema types as text stays text: a Discord username of digits.
    expect(parseSettings(['username=1234', 'n=5'], { properties: { username: { type: 'string' } } })).to.deep.equal({ username: '1234', n: 5 });
  });
});
