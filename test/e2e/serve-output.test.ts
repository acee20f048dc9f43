import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/net.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// Issue 16: stdout is the JSON log stream a shipper parses; the banner and a generated admin token are
// for the human on stderr; "started in" counts from the process's start, as the operator waits.
describe('tenx serve: JSON logs on stdout, the banner and the admin token on stderr, start time from process start', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-serve-output-'));
  let db: TestDatabase;
  let child: ChildProcess | null = null;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((ok) => child!.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps stdout pure JSON, prints the banner and the generated token once on stderr, and reports the whole start', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, REDIS_URL: '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.ADMIN_TOKEN; // generated: the token must be shown, once, to the human only
    const spawnedAt = performance.now();
    child = spawn(process.execPath, ['scripts/tenx.js', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Two pipes: the parent may read the banner on stderr before the log line on stdout, so wait for both.
    let bannerAt: number | undefined;
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no banner:\n${stdout}\n${stderr}`)), 90_000);
      const check = () => {
        if (bannerAt === undefined && /started in \d+ ms/.test(stderr)) bannerAt = performance.now() - spawnedAt;
        if (bannerAt !== undefined && /"msg":"tenx is serving"[^\n]*\n/.test(stdout)) {
          clearTimeout(timer);
          ok();
        }
      };
      child!.stdout!.on('data', (d) => {
        stdout += d;
        check();
      });
      child!.stderr!.on('data', (d) => {
        stderr += d;
        check();
      });
      child!.once('exit', (code) => fail(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
    });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);

    const token = /Admin token[^:]*: (tenx_admin_\S+)/.exec(stderr)?.[1];
    expect(token, stderr).to.be.a('string');
    expect(stderr).to.include(`tenx is serving on http://127.0.0.1:${port}`);
    expect(stdout, 'the token never reaches the log stream').to.not.include(token!);
    const lines = stdout.slice(0, stdout.lastIndexOf('\n')).split('\n').filter(Boolean); // whole lines only
    for (const line of lines) expect(() => JSON.parse(line), `not a JSON log line: ${line}`).to.not.throw();
    const serving = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'tenx is serving');
    expect(serving, stdout).to.include({ url: `http://127.0.0.1:${port}` });

    // From the process's start to listening: a little less than the parent saw (spawn, pipe), never a fraction of it.
    // A little: 400 ms, or 15 % on a machine so loaded that the start took seconds (the spawn slows with it).
    const startedInMs = Number(/started in (\d+) ms/.exec(stderr)![1]);
    expect(serving.startedInMs).to.equal(startedInMs);
    const slack = Math.max(400, bannerAt! * 0.15);
    expect(startedInMs, `banner after ${Math.round(bannerAt!)} ms`).to.be.within(bannerAt! - slack, bannerAt!);
  });
});
