import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { partnerCampaign } from '../support/conversions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { runNode } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));
const TRACE = fileURLToPath(new URL('../support/loaded-modules.ts', import.meta.url));

/**
 * Issue 16 "CLI": a command that makes one API call should take < 0.5 s. What it costs is what it
 * loads: the HTTP client must not pull undici (~110 modules, more CPU than the rest of the command)
 * nor anything of the server. Timing on a shared box is noise; the module list is not.
 */
describe('tenx CLI start-up: a one-call command loads only what it needs', function () {
  this.timeout(60_000);
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer({ redis: false });
    dir = mkdtempSync(join(tmpdir(), 'tenx-cli-startup-'));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists campaigns over node:http, loading its own command file only: no undici, no server module', async () => {
    const t = await partnerCampaign(server, { campaignId: 'startup', slug: 'startup' });
    const list = join(dir, 'modules.txt');
    const env = { ...process.env, XDG_CONFIG_HOME: dir, TENX_URL: server.url, TENX_HANDLE: t.handle, TENX_TOKEN: t.ownerToken, TENX_LOADED_MODULES: list };
    const started = process.hrtime.bigint();
    const r = await runNode(['--import', TRACE, TENX, 'campaigns', 'list'], env);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^startup\s+ACTIVE\s+AFFILIATE_CLICKOUT/m);
    const modules = readFileSync(list, 'utf8').trim().split('\n');
    const heavy = modules.filter((u) => /\/node_modules\/(undici|pg|koa|pino|@mikro-orm|bullmq|redis)\/|\/core\/|\/config\//.test(u));
    expect(heavy, 'modules a one-call command does not need').to.deep.equal([]);
    // Node's own undici, behind node:http's WebSocket and MessageEvent getters: an ES import of a value from node:http
    // reads every export and loads it with tls, http2, zlib and worker_threads (eb4666b did so, 40-70 ms a command).
    const builtin = readFileSync(`${list}.builtin`, 'utf8').trim().split('\n');
    expect(builtin, 'Node modules loaded').to.include('http');
    expect(builtin.filter((m) => /undici|^(tls|http2|zlib|worker_threads)$/.test(m)), "Node modules a one-call command over http doesn't need").to.deep.equal([]);
    // Its own command file and the client, not every command of the CLI (scripts/cli/api-commands.ts); get-command.ts is
    // the `get` every such file registers with, not another command.
    const cli = modules.filter((u) => u.includes('/scripts/cli/')).map((u) => u.slice(u.lastIndexOf('/') + 1)).sort();
    expect(cli).to.deep.equal(['api-commands.ts', 'args.ts', 'campaigns.ts', 'client.ts', 'config.ts', 'errors.ts', 'get-command.ts', 'http.ts', 'output.ts']);
    expect(modules.length, modules.join('\n')).to.be.below(40);
    // For the record (a loaded box stretches it): this command's wall time including the spawn.
    console.log(`      tenx campaigns list: ${modules.length} modules, ${Math.round(wallMs)} ms wall`);
  });
});
