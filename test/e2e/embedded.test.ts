import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer } from '../support/net.ts';

/** Starts `tenx serve` exactly as `npm start` does, on the embedded database, with no Redis. */
function serve(dataDir: string, port: number) {
  const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', ADMIN_TOKEN: '', CTX_SECRETS: '', SECRET_KEY: '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  return spawnServer(['scripts/tenx.ts', 'serve'], { env, port });
}

const exited = (child: ChildProcess) => new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));

describe('embedded mode: npm start with no environment', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-embedded-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves, prints the admin token once, keeps a handle across a restart and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const first = await serve(dataDir, port);
    const token = /Admin token[^:]*: (\S+)/.exec(first.output())?.[1];
    expect(token, first.output()).to.match(/^tenx_admin_/);
    const created = await fetch(`http://127.0.0.1:${port}/v2/handles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'embedded-demo', name: 'Demo' }),
    });
    expect(created.status).to.equal(201);
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    expect(ready.checks).to.deep.equal({ database: 'ok', redis: 'not_configured' });
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).to.equal(0);

    const second = await serve(dataDir, port);
    expect(second.output()).to.not.include('Admin token');
    const again = await fetch(`http://127.0.0.1:${port}/v2/handles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'embedded-demo', name: 'Demo' }),
    });
    expect(again.status).to.equal(409);

    // A second process on the same DATA_DIR (another serve, a migrate) is refused while this one runs:
    // PGlite is one process's database.
    const intruder = spawn(process.execPath, ['scripts/tenx.ts', 'migrate'], {
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let refusal = '';
    intruder.stdout!.on('data', (d) => (refusal += d));
    intruder.stderr!.on('data', (d) => (refusal += d));
    expect(await exited(intruder)).to.not.equal(0);
    expect(refusal).to.match(new RegExp(`in use by process ${second.child.pid}`));
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).to.equal(0);
  });

  it('takes over a lock left by a process that died (kill -9)', async () => {
    const port = await freePort();
    const first = await serve(dataDir, port);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const second = await serve(dataDir, port);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).to.equal(0);
  });
});
