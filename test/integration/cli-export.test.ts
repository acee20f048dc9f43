import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

describe('tenx export: where the file goes', function () {
  this.timeout(60_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let dir: string;
  const tenx = (args: string[]): Promise<Run> =>
    runNode([TENX, ...args], { ...process.env, XDG_CONFIG_HOME: dir, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tenx-cli-export-'));
    server = await startTestServer({ redis: false });
    tenant = await createHandle(server);
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names an --out it cannot write as the command line\'s mistake (exit 2), not an export "failed after N rows"', async () => {
    const r = await tenx(['export', '--out', join(dir, 'no-such-folder', 'clicks.csv'), '--quiet']);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^tenx: cannot write --out .*no-such-folder\/clicks\.csv \(ENOENT.*\); nothing was exported\n$/);
  });

  it('writes the file it can, header first', async () => {
    const out = join(dir, 'clicks.csv');
    const r = await tenx(['export', '--out', out, '--quiet']);
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(out, 'utf8').split('\n')[0]).to.match(/^clickId,campaignId,occurredAt,/);
    expect(existsSync(`${out}.partial`)).to.equal(false);
  });
});
