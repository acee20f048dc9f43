import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createCtxCodec } from '../../core/redirect/ctx-token.ts';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/net.ts';
import { campaign, person, waitFor } from '../support/redirect.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = 'serve-workers-admin-token-0123456789abcdef';
const CTX_SECRET = 'serve-workers-ctx-secret-0123456789abcdef';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request on a connection of its own: node:cluster hands each new connection to the next
 * worker (round robin), so requests sent one after another this way alternate between the workers.
 */
function fresh(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((ok, fail) => {
    const req = http.request(`${base}${path}`, {
      method: opts.method ?? 'GET',
      agent: false,
      headers: { ...(payload && { 'content-type': 'application/json' }), ...opts.headers },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.once('error', fail).end(payload);
  });
}

type LogLine = Record<string, unknown> & { msg: string };

// Issue 17: `tenx serve --workers N` runs N whole tenx processes on one port. On 2 cores this proves
// correctness, not speed: both serve, cross-process invariants hold, a dead worker is replaced, and a
// SIGTERM to the primary drains every worker without losing a buffered click.
describe('tenx serve --workers 2: one port, two processes', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-serve-workers-'));
  let db: TestDatabase;
  let sql: pg.Pool;
  let child: ChildProcess;
  let base: string;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;
  const lines = (): LogLine[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const owner: Record<string, string> = {};

  before(async () => {
    db = await createTestDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 2 });
    sql.on('error', () => {});
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['scripts/tenx.js', 'serve', '--workers', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: `tenx-test-${db.name}`,
        ADMIN_TOKEN: ADMIN,
        CTX_SECRETS: CTX_SECRET,
        SECRET_KEY: 'serve-workers-secret-box-key',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        TRUSTED_PROXIES: '127.0.0.1,::1',
        PUBLIC_RATE_LIMIT: '0',
        // Clicks stay in each worker's buffer until shutdown flushes them.
        CLICK_FLUSH_MS: '60000',
        WORKERS: '',
      },
    });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    exited = new Promise((ok) => child.once('exit', (code) => ok(code)));
    await waitFor('both workers to serve', async () => child.exitCode === null && lines().some((l) => l.msg === 'tenx is serving'), 90_000, 100).catch((err) => {
      throw new Error(`${err.message}:\n${stdout}\n${stderr}`);
    });
    const created = await fresh(base, '/v2/handles', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: { handle: 'workers', name: 'Workers', publicConversions: 'accept' } });
    expect(created.status, created.body).to.equal(201);
    owner.authorization = `Bearer ${JSON.parse(created.body).ownerToken}`;
    const c = await fresh(base, '/v2/handles/workers/campaigns', { method: 'POST', headers: owner, body: campaign('partner-a', 'deal', 'https://shop.example.com/p') });
    expect(c.status, c.body).to.equal(201);
  });

  after(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL'); // only after a failure: the primary's workers follow it
    await sql.end();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates once, logs the banner once, and both workers answer (each connection to the next)', async () => {
    expect(lines().filter((l) => l.msg === 'migrations applied'), 'the primary migrated, the workers did not').to.have.length(1);
    expect(lines().filter((l) => l.msg === 'migrations applied')[0]).to.not.have.property('worker');
    expect(lines().filter((l) => l.msg === 'tenx is serving')).to.have.length(1);
    expect(lines().find((l) => l.msg === 'tenx is serving')).to.include({ workers: 2 });
    expect(stderr.match(/tenx is serving on/g)).to.have.length(1);
    expect(lines().filter((l) => l.msg === 'worker serving').map((l) => l.worker)).to.have.members([1, 2]);

    const seen = [];
    for (let i = 0; i < 6; i++) {
      const res = await fresh(base, '/healthz');
      expect(res.status).to.equal(200);
      seen.push(JSON.parse(res.body).worker);
    }
    expect(new Set(seen)).to.deep.equal(new Set([1, 2]));
  });

  it('/metrics answers for every worker: counters are summed across processes', async () => {
    const healthz = async () => {
      const res = await fresh(base, '/metrics');
      expect(res.status).to.equal(200);
      const line = res.body.split('\n').find((l) => l.startsWith('tenx_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}'));
      return Number(line?.split(' ')[1] ?? 0);
    };
    const before = await healthz();
    const served = new Set<number>();
    for (let i = 0; i < 10; i++) served.add(JSON.parse((await fresh(base, '/healthz')).body).worker);
    expect(served.size, 'the 10 requests went to both workers').to.equal(2);
    expect((await healthz()) - before, 'one worker alone counted only its half').to.equal(10);
  });

  it('keeps conversions idempotent across processes: 40 concurrent identical posts make one conversion', async () => {
    const clickId = uuidv7();
    await sql.query(
      `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, is_bot)
       values ($1, 'workers', 'partner-a', now(), 'DE', 'desktop', 'desktop', 'direct', 'https://shop.example.com/p', false)`,
      [clickId],
    );
    const ctx = createCtxCodec([CTX_SECRET]).sign({ clickId, handle: 'workers', campaignId: 'partner-a', issuedAt: new Date(Date.now() - 60_000), windowDays: 30 });
    const body = { ctx, eventType: 'affiliate_click', value: 12.5, currency: 'EUR', idempotencyKey: 'order-across-workers' };
    const mark = stdout.length;
    const answers = await Promise.all(Array.from({ length: 40 }, () => fresh(base, '/v2/public/conversions', { method: 'POST', body })));
    expect(answers.map((a) => a.status).sort()).to.deep.equal([...Array(39).fill(200), 201].sort());
    const ids = new Set(answers.map((a) => JSON.parse(a.body).conversionId));
    expect(ids.size, 'every answer names the one conversion').to.equal(1);
    const { rows } = await sql.query(`select count(*)::int as n from conversions where handle = 'workers' and idempotency_key = $1`, [body.idempotencyKey]);
    expect(rows[0].n).to.equal(1);
    const workers = stdout.slice(mark).split('\n').filter((l) => l.includes('"path":"/v2/public/conversions"')).map((l) => JSON.parse(l).worker);
    expect(new Set(workers), 'both processes took some of the posts').to.deep.equal(new Set([1, 2]));
  });

  it('replaces a worker that dies, after a backoff, and keeps serving meanwhile', async () => {
    const victim = lines().find((l) => l.msg === 'worker started' && l.worker === 1)!;
    process.kill(victim.pid as number, 'SIGKILL');
    const restart = await waitFor('the primary to notice', async () => lines().find((l) => l.msg === 'worker exited; restarting it'), 10_000, 50);
    expect(restart).to.include({ worker: 1, pid: victim.pid, signal: 'SIGKILL', restartInMs: 500 });
    // Meanwhile the other worker takes every connection.
    for (let i = 0; i < 3; i++) expect(JSON.parse((await fresh(base, '/healthz')).body).worker).to.equal(2);
    const replacement = await waitFor('a new worker to serve', async () => lines().find((l) => l.msg === 'worker serving' && l.worker === 3), 60_000, 100);
    expect(replacement.pid).to.not.equal(victim.pid);
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) seen.add(JSON.parse((await fresh(base, '/healthz')).body).worker);
    expect(seen).to.deep.equal(new Set([2, 3]));
  });

  it('SIGTERM to the primary drains every worker: each flushes its buffered clicks, then it exits 0', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await fresh(base, '/workers/deal', { headers: person() });
      expect(res.status).to.equal(302);
    }
    const stored = async () => (await sql.query(`select count(*)::int as n from clicks where handle = 'workers' and campaign_id = 'partner-a'`)).rows[0].n - 1;
    expect(await stored(), 'clicks still buffered before the signal').to.equal(0);

    child.kill('SIGTERM');
    expect(await exited, `${stdout}\n${stderr}`).to.equal(0);
    expect(await stored(), 'every click in PostgreSQL').to.equal(20);
    const flushed = lines().filter((l) => l.msg === 'buffered clicks written on shutdown');
    expect(flushed.map((l) => l.worker), 'each worker wrote its own share').to.have.members([2, 3]);
    expect(flushed.map((l) => l.clicks)).to.deep.equal([10, 10]);
    expect(lines().filter((l) => l.msg === 'worker stopped').map((l) => l.code)).to.deep.equal([0, 0]);
    expect(await fresh(base, '/healthz').then(() => 'open', () => 'closed')).to.equal('closed');
  });
});

describe('tenx serve --workers 2: a primary that dies leaves no worker behind', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-serve-workers-orphans-'));
  let db: TestDatabase;
  let child: ChildProcess;
  let stdout = '';

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('its workers drain and exit on their own when the primary is killed (kill -9)', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['scripts/tenx.js', 'serve', '--workers', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: {
        ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `tenx-test-${db.name}`, ADMIN_TOKEN: ADMIN, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info',
        TRUSTED_PROXIES: '127.0.0.1,::1', CLICK_FLUSH_MS: '60000', WORKERS: '',
      },
    });
    child.stdout!.on('data', (d) => (stdout += d));
    const logged = () => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
    await waitFor('both workers to serve', async () => logged().some((l) => l.msg === 'tenx is serving'), 90_000, 100);
    const pids = logged().filter((l) => l.msg === 'worker started').map((l) => l.pid as number);
    expect(pids).to.have.length(2);
    const base = `http://127.0.0.1:${port}`;
    const created = await fresh(base, '/v2/handles', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: { handle: 'orphans', name: 'Orphans' } });
    const owner = { authorization: `Bearer ${JSON.parse(created.body).ownerToken}` };
    expect((await fresh(base, '/v2/handles/orphans/campaigns', { method: 'POST', headers: owner, body: campaign('partner-a', 'deal', 'https://shop.example.com/p') })).status).to.equal(201);
    for (let i = 0; i < 6; i++) expect((await fresh(base, '/orphans/deal', { headers: person() })).status).to.equal(302);
    child.kill('SIGKILL');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor('the orphaned workers to exit', async () => pids.every((pid) => !alive(pid)), 20_000, 100);
    expect(logged().filter((l) => l.msg === 'shutting down' && l.signal === 'primary gone').map((l) => l.worker)).to.have.members([1, 2]);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      expect((await sql.query(`select count(*)::int as n from clicks where handle = 'orphans'`)).rows[0].n, 'buffered clicks written as they drained').to.equal(6);
    } finally {
      await sql.end();
    }
  });
});
