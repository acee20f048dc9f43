import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/net.ts';
import { campaign, person, waitFor } from '../support/redirect.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = 'npm-start-sigterm-admin-token-0123456789';

/** True while any process of the group (npm and whatever it started) is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// A container runs `npm start` and stops it with SIGTERM to that one pid: the server itself must get
// the signal, shut down gracefully (flushing the clicks it buffers) and exit, leaving nothing behind.
describe('npm start: SIGTERM to npm’s own pid stops the server gracefully', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-npm-start-'));
  let db: TestDatabase;
  let sql: pg.Pool;
  let npm: ChildProcess | null = null;

  before(async () => {
    db = await createTestDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
    sql.on('error', () => {});
  });
  after(async () => {
    // Only on failure is anything left: the whole group, which this test started.
    if (npm?.pid && groupAlive(npm.pid)) process.kill(-npm.pid, 'SIGKILL');
    await sql.end();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('flushes the buffered clicks, closes the port and leaves no process', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let output = '';
    npm = spawn('npm', ['start'], {
      cwd: ROOT,
      // Its own process group, so the test can see every process npm started (and clean up on failure).
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL: '',
        ADMIN_TOKEN: ADMIN,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        TRUSTED_PROXIES: '127.0.0.1,::1',
        PUBLIC_RATE_LIMIT: '0',
        // Clicks stay in the buffer until shutdown flushes them.
        CLICK_FLUSH_MS: '60000',
      },
    });
    npm.stdout!.on('data', (d) => (output += d));
    npm.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<void>((ok) => npm!.once('exit', () => ok()));
    const alive = () =>
      fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    await waitFor('npm start to serve', alive, 90_000, 200).catch((err) => {
      throw new Error(`${err.message}:\n${output}`);
    });

    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/v2/handles`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ handle: 'sigterm', name: 'Sigterm' }),
    });
    expect(created.status).to.equal(201);
    const owner = { authorization: `Bearer ${(await created.json()).ownerToken}`, 'content-type': 'application/json' };
    const c = await fetch(`${base}/v2/handles/sigterm/campaigns`, {
      method: 'POST',
      headers: owner,
      body: JSON.stringify(campaign('partner-a', 'deal', 'https://shop.example.com/p')),
    });
    expect(c.status).to.equal(201);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${base}/sigterm/deal`, { headers: person(), redirect: 'manual' });
      expect(res.status).to.equal(302);
    }
    const stored = async () =>
      (await sql.query('select count(*)::int as n from clicks where handle = $1', ['sigterm'])).rows[0].n as number;
    expect(await stored(), 'clicks still buffered before the signal').to.equal(0);

    process.kill(npm.pid!, 'SIGTERM');
    await exited;
    await waitFor('the port to close', async () => !(await alive()), 15_000, 100);
    await waitFor('every process npm started to exit', async () => !groupAlive(npm!.pid!), 15_000, 100);
    expect(await stored(), `buffered clicks flushed on shutdown:\n${output}`).to.equal(5);
    expect(output).to.include('"signal":"SIGTERM"');
    expect(output, 'the last word of a clean stop').to.include('stopped: requests drained, buffers flushed or spilled; exit 0');
  });
});
