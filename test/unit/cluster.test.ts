import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { restartDelay } from '../../core/infra/cluster.ts';
import { workerCount } from '../../scripts/cli/serve.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PRODUCTION = { DATABASE_URL: 'postgresql://127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' };
const NO_REDIS = { DATABASE_URL: 'postgresql://127.0.0.1:1/none' };

describe('tenx serve --workers: how many, and how fast a crashed worker comes back', () => {
  it('restarts a crashing worker ever more slowly (0.5 s doubling, at most 30 s), never in a tight loop', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => restartDelay(n))).to.deep.equal([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('runs one per core with DATABASE_URL and REDIS_URL, one embedded or without Redis; WORKERS, then --workers, override', () => {
    expect(workerCount(undefined, loadConfig(NO_REDIS)), 'no Redis: processes could not share cache invalidation').to.equal(1);
    expect(workerCount('1', loadConfig(NO_REDIS))).to.equal(1);
    expect(workerCount(undefined, loadConfig(PRODUCTION))).to.equal(availableParallelism());
    expect(workerCount(undefined, loadConfig({}))).to.equal(1);
    expect(workerCount(undefined, loadConfig({ ...PRODUCTION, WORKERS: '3' }))).to.equal(3);
    expect(workerCount('5', loadConfig({ ...PRODUCTION, WORKERS: '3' }))).to.equal(5);
    expect(workerCount('0', loadConfig({ ...PRODUCTION, WORKERS: '3' })), '0: automatic').to.equal(availableParallelism());
    expect(workerCount('1', loadConfig({}))).to.equal(1);
  });

  const refused: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['more than one process on the embedded database', ['--workers', '2'], {}, /^tenx: --workers 2 needs DATABASE_URL: the embedded database \(PGlite\) lives in one process/],
    ['WORKERS=3 on the embedded database', [], { WORKERS: '3' }, /^tenx: --workers 3 needs DATABASE_URL/],
    ['more than one process without Redis', ['--workers', '2'], NO_REDIS, /^tenx: --workers 2 needs REDIS_URL: server processes share cache invalidation/],
    ['a count that is not a number', ['--workers', 'many'], PRODUCTION, /^tenx: --workers must be a whole number \(0: automatic\), got "many"/],
    ['far more processes than cores (a typo)', ['--workers', '1000'], PRODUCTION, /^tenx: --workers 1000 is more than 4 per core on this machine \(\d+ cores: at most \d+\)/],
    ['WORKERS far above the cores', [], { ...PRODUCTION, WORKERS: '1000' }, /^tenx: --workers 1000 is more than 4 per core/],
  ];
  for (const [what, args, env, message] of refused) {
    it(`refuses ${what} with one line and exit 2, before starting anything`, () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tenx-workers-usage-'));
      try {
        const run = spawnSync(process.execPath, ['scripts/tenx.js', 'serve', ...args], {
          cwd: ROOT, encoding: 'utf8', timeout: 30_000,
          env: { ...process.env, DATABASE_URL: '', DATABASE_READ_URL: '', REDIS_URL: '', WORKERS: '', DATA_DIR: dataDir, PORT: '0', ...env },
        });
        expect(run.status, run.stderr).to.equal(2);
        expect(run.stderr).to.match(message);
        expect(run.stderr.trim().split('\n')).to.have.length(1);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
