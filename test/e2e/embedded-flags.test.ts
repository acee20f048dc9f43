import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createTestDatabase, dropRedisKeys, TEST_REDIS_URL } from '../support/database.ts';
import { freePort, spawnServer, type SpawnedServer } from '../support/net.ts';

const exited = (child: ChildProcess) => new Promise<number | null>((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.once('exit', (code) => ok(code))));
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

// scripts/tenx.js restarts an embedded `serve` in place (process.execve) with V8 flags that keep its RSS small.
describe('tenx serve in embedded mode: laptop-sized V8 flags, same process', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-embedded-flags-'));
  const running: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of running.splice(0)) {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited(child);
    }
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = (extra: NodeJS.ProcessEnv) => ({ ...process.env, DATABASE_URL: '', REDIS_URL: '', ADMIN_TOKEN: '', CTX_SECRETS: '', SECRET_KEY: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra });

  it('answers from the pid it was started as, running with --liftoff-only, a 4 MB young generation and no allocation-site pretenuring, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const server = await spawnServer(['scripts/tenx.js', 'serve'], { env: env({ PORT: String(port), NODE_OPTIONS: '' }), port });
    running.push(server.child);
    const args = cmdline(server.child.pid!);
    expect(args).to.include.members(['--liftoff-only', '--max-semi-space-size=4', '--no-allocation-site-pretenuring']);
    expect(args.at(-2)).to.match(/scripts\/tenx\.js$/);
    expect(args.at(-1)).to.equal('serve');
    expect((await fetch(`${server.url}/readyz`)).status).to.equal(200);
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).to.equal(0);
  });

  it('leaves a flag the operator gave as given (NODE_OPTIONS, or --no-liftoff-only on the command line)', async () => {
    const port = await freePort();
    const server = await spawnServer(['--no-liftoff-only', '--allocation-site-pretenuring', 'scripts/tenx.js', 'serve'], { env: env({ PORT: String(port), NODE_OPTIONS: '--max-semi-space-size=8' }), port });
    running.push(server.child);
    const args = cmdline(server.child.pid!);
    expect(args).to.include('--no-liftoff-only');
    expect(args).to.not.include('--liftoff-only');
    expect(args).to.include('--allocation-site-pretenuring');
    expect(args).to.not.include('--no-allocation-site-pretenuring');
    expect(args.filter((a) => a.startsWith('--max-semi-space-size'))).to.deep.equal([]);
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).to.equal(0);
  });
});

// Every server, not only the embedded one: V8's allocation-site pretenuring had put a request's own objects in the old
// generation, where each kept what it pointed at alive through every scavenge (docs/performance.md).
describe('tenx serve with DATABASE_URL: no allocation-site pretenuring, same process, and nothing of the embedded flags', function () {
  this.timeout(60_000);
  const running: ChildProcess[] = [];
  after(async () => {
    for (const child of running.splice(0)) {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited(child);
    }
  });

  /** `tenx serve` on a fresh database of its own (it migrates it) and the shared Redis, as `npm start` starts it; `check` runs while it serves. */
  async function onPostgres(logLevel: string, check: (server: SpawnedServer) => Promise<void>) {
    const db = await createTestDatabase();
    try {
      const port = await freePort();
      const env = { ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `tenx-test-${db.name}`, PORT: String(port), NODE_OPTIONS: '', LOG_LEVEL: logLevel, ADMIN_TOKEN: '' };
      const server = await spawnServer(['scripts/tenx.js', 'serve'], { env, port });
      running.push(server.child);
      await check(server);
      expect((await fetch(`${server.url}/readyz`)).status).to.equal(200);
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).to.equal(0);
    } finally {
      await db.drop();
      await dropRedisKeys(`tenx-test-${db.name}:`);
    }
  }

  it('answers from the pid it was started as, running with --no-allocation-site-pretenuring only, and exits 0 on SIGTERM', () =>
    onPostgres('warn', async (server) => {
      const args = cmdline(server.child.pid!);
      expect(args.filter((a) => a.startsWith('--'))).to.deep.equal(['--no-allocation-site-pretenuring']);
      expect(args.at(-1)).to.equal('serve');
    }));

  // Migrations, plugin loading and schema compilation grew V8's young generation to 64-128 MiB, which an idle
  // server kept: 203-243 MB of RSS idle (docs/performance.md). One last-resort collection once serving gives it back.
  it('gives back what its start allocated once serving: a young generation of a few MB, not the 64-128 MiB the start grew', () =>
    onPostgres('debug', async (server) => {
      const deadline = Date.now() + 20_000;
      while (!server.output().includes('start garbage released') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const line = server.output().split('\n').find((l) => l.includes('start garbage released'));
      expect(line, server.output()).to.be.a('string');
      type Memory = { rssMb: number; newSpaceMb: number };
      const { before, after } = JSON.parse(line!) as { ms: number; before: Memory; after: Memory };
      expect(before.newSpaceMb, 'the start grew the young generation').to.be.at.least(16);
      expect(after.newSpaceMb, 'MiB of new space once released').to.be.at.most(2);
      expect(after.rssMb, `RSS ${before.rssMb} → ${after.rssMb} MB`).to.be.below(before.rssMb - 30);
    }));
});
