import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/net.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// Black-box pass: a DATABASE_URL where nothing listens stopped `tenx serve` with "failed to start: connect
// ECONNREFUSED 127.0.0.1:5498": the operator was not told which setting to fix. Now one line names it and
// where it points (never its password), exit 1, no stack trace.
describe('tenx serve: a DATABASE_URL it cannot connect to', function () {
  this.timeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-db-unreachable-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exits 1 with one line naming DATABASE_URL and where it points, without the password', async () => {
    const dbPort = await freePort(); // nothing listens there
    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: `postgresql://tenx:hunter2-secret@127.0.0.1:${dbPort}/tenx`, REDIS_URL: '', PORT: String(await freePort()),
      HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ADMIN_TOKEN: 'a'.repeat(32),
    };
    const child = spawn(process.execPath, ['scripts/tenx.js', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((ok) => child.once('exit', ok));
    expect(code).to.equal(1);
    expect(stderr).to.equal(`tenx: failed to start: DATABASE_URL (postgresql://tenx@127.0.0.1:${dbPort}/tenx): cannot connect: connect ECONNREFUSED 127.0.0.1:${dbPort}\n`);
  });
});
