import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/net.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs `tenx serve` until its banner (then SIGTERM) or its exit; returns stderr and the exit code. */
function serveOnce(env: NodeJS.ProcessEnv): Promise<{ stderr: string; code: number | null }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['scripts/tenx.js', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`neither a banner nor an exit in 60 s:\n${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      // The token's line comes in the same write as the banner: once a blank line ends it, the banner is whole.
      if (/tenx is serving on[\s\S]*\n\n/.test(stderr)) child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      ok({ stderr, code });
    });
  });
}

// A first start that fails after writing DATA_DIR/secrets.json (here: its port is taken) never printed the
// generated admin token, and no later start did: the operator had no token and no hint (a README walk-through).
describe('tenx serve: the generated admin token is shown by the first start that gets to its banner, and only by it', function () {
  this.timeout(180_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-admin-token-'));
  let db: TestDatabase;
  let busy: Server;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    busy?.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints it after a failed first start, then never again', async () => {
    const env = async (port: number): Promise<NodeJS.ProcessEnv> => {
      const e: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, REDIS_URL: '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      delete e.ADMIN_TOKEN;
      return e;
    };
    const taken = await freePort();
    busy = createServer();
    await new Promise<void>((ok) => busy.listen(taken, '127.0.0.1', () => ok()));

    const failed = await serveOnce(await env(taken));
    expect(failed.code, failed.stderr).to.equal(1);
    expect(failed.stderr).to.not.match(/tenx_admin_/);
    const stored = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
    expect(stored.adminToken).to.match(/^tenx_admin_/);

    const first = await serveOnce(await env(await freePort()));
    expect(first.code, first.stderr).to.equal(0);
    expect(/Admin token[^:]*: (tenx_admin_\S+)/.exec(first.stderr)?.[1], first.stderr).to.equal(stored.adminToken);

    const second = await serveOnce(await env(await freePort()));
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stderr).to.include('tenx is serving on');
    expect(second.stderr).to.not.match(/tenx_admin_/);
    expect(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'))).to.deep.include({ adminToken: stored.adminToken, adminTokenShown: true });
  });

  it('keeps it unshown while ADMIN_TOKEN is set, and shows it when a later start runs without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenx-admin-token-env-'));
    try {
      const base: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, REDIS_URL: '', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn' };
      delete base.CTX_SECRETS; // so the first start writes secrets.json (its ctx secret, its key, and an admin token)
      delete base.SECRET_KEY;
      const given = await serveOnce({ ...base, PORT: String(await freePort()), ADMIN_TOKEN: 'operator-admin-token-0123456789abcdef' });
      expect(given.code, given.stderr).to.equal(0);
      expect(given.stderr).to.not.match(/tenx_admin_|Admin token/);
      const stored = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'));
      expect(stored.adminTokenShown).to.equal(false);
      const without: NodeJS.ProcessEnv = { ...base, PORT: String(await freePort()) };
      delete without.ADMIN_TOKEN;
      const later = await serveOnce(without);
      expect(/Admin token[^:]*: (tenx_admin_\S+)/.exec(later.stderr)?.[1], later.stderr).to.equal(stored.adminToken);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
