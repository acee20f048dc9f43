import net from 'node:net';
import type pg from 'pg';
import { expect } from 'chai';
import { insertBulkClicks, insertCampaigns } from '../support/analytics-fixtures.ts';
import { createPartner, holdSinceCreation, partnerToken } from '../support/partners.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

/** An export whose reader sends the request and then never reads: the kernel's buffers fill and stay full. */
class StalledReader {
  readonly socket: net.Socket;
  closed = false;
  private readonly closing: Promise<void>;

  constructor(url: string, path: string, token: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname);
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    this.socket.pause(); // never read
    this.socket.on('error', () => {});
    this.closing = new Promise((ok) => this.socket.once('close', () => ok()));
    void this.closing.then(() => (this.closed = true));
  }

  /**
   * Reads what is still buffered and resolves true if the server had closed the connection (the
   * stream ends, cut short) within `ms`.
   */
  drainToClose(ms: number): Promise<boolean> {
    this.socket.resume();
    return Promise.race([this.closing.then(() => true), new Promise<boolean>((ok) => setTimeout(() => ok(false), ms))]);
  }

  destroy() {
    this.socket.destroy();
  }
}

const copySessions = async (server: TestServer) =>
  (await server.sql.query(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and query ilike 'copy (%' and state <> 'idle'`,
  )).rows[0].n as number;

async function until(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('exports: fair between handles, stalled readers cut, the main pool never held', () => {
  let server: TestServer;
  let a: Awaited<ReturnType<typeof createHandle>>;
  let b: Awaited<ReturnType<typeof createHandle>>;
  let c: Awaited<ReturnType<typeof createHandle>>;
  const readers: StalledReader[] = [];
  const path = (handle: string) => `/v2/handles/${handle}/analytics/export?format=csv`;

  // A stall window far longer than the first test takes: no reader of it is cut while it sets up
  // (on a busy box an 8 s window once cut the first readers before the third had started).
  before(async function () {
    this.timeout(120_000);
    server = await startTestServer({ env: { EXPORT_MAX_CONCURRENT: '3', EXPORT_MAX_PER_HANDLE: '2', EXPORT_STALL_MS: '600000', EXPORT_MIN_BYTES_PER_S: '4096' } });
    a = await createHandle(server);
    b = await createHandle(server);
    c = await createHandle(server);
    for (const h of [a, b, c]) await insertCampaigns(server.sql, h.handle, ['bulk']);
    // ~75 MB of CSV per handle: far more than the socket buffers between the server and a reader that
    // stopped (loopback receive buffers here autotune up to tcp_rmem's 32 MB, which held a whole 16 MB
    // export: its COPY then finished and freed a slot early, 1 run in 3).
    await insertBulkClicks(server.sql, a.handle, 'bulk', 100_000, new Date('2026-11-01T00:00:00Z'));
    await insertBulkClicks(server.sql, b.handle, 'bulk', 100_000, new Date('2026-11-01T00:00:00Z'));
    const fat = `repeat('x', 128)`;
    await server.sql.query(`update clicks set sub1 = ${fat}, sub2 = ${fat}, sub3 = ${fat}, sub4 = ${fat}, sub5 = ${fat} where handle = any($1)`, [[a.handle, b.handle]]);
    await insertBulkClicks(server.sql, c.handle, 'bulk', 50, new Date('2026-11-01T00:00:00Z'));
  });
  after(async () => {
    for (const r of readers) r.destroy();
    await server?.close();
  });

  it('gives each handle its own slots, answers 429 beyond, and frees them when readers go away', async function () {
    this.timeout(120_000);
    const mainPool = server.kernel.container.resolve<pg.Pool>('pg');

    // Handle A fills its two slots with readers that stop reading.
    const stalled = [new StalledReader(server.url, path(a.handle), a.ownerToken), new StalledReader(server.url, path(a.handle), a.ownerToken)];
    readers.push(...stalled);
    await until('two stalled COPYs', async () => (await copySessions(server)) === 2);
    const third = await server.http.get(path(a.handle)).set(a.auth).expect(429);
    expect(third.body.error.code).to.equal('rate_limited');
    expect(Number(third.headers['retry-after'])).to.be.greaterThan(0);
    // The stalled exports hold connections of the export pool, none of the main pool (a background job may
    // hold one for a moment: once it is done, none is busy while both exports still stall).
    await until('the main pool idle', async () => mainPool.totalCount - mainPool.idleCount === 0);
    expect(await copySessions(server)).to.equal(2);

    // Another handle exports meanwhile, and so does a third one.
    const ok = await server.http.get(path(c.handle)).set(c.auth).expect(200);
    expect(ok.text.trimEnd().split('\n')).to.have.length(51);
    // C's COPY can still show as active for a moment after its last byte: let it go, so it cannot stand in for B's below.
    await until("C's COPY over", async () => (await copySessions(server)) === 2);
    // B stalls too: the process-wide cap (3) is now full, so C waits its turn.
    const stalledB = new StalledReader(server.url, path(b.handle), b.ownerToken);
    readers.push(stalledB);
    await until('three stalled COPYs', async () => (await copySessions(server)) === 3);
    const full = await server.http.get(path(c.handle)).set(c.auth).expect(429);
    expect(full.body.error.code).to.equal('rate_limited');

    // Readers that hang up give their slots back: COPY stopped, and A may export again.
    for (const r of [...stalled, stalledB]) r.destroy();
    await until('COPYs stopped', async () => (await copySessions(server)) === 0, 20_000);
    await server.http.get(path(c.handle)).set(c.auth).expect(200);
    await server.http.get(path(a.handle).replace('csv', 'ndjson') + '&from=2026-11-01T00:00:00Z&to=2026-11-01T01:00:00Z').set(a.auth).expect(200);
  });

  it('cuts readers that stall: COPY stopped, slots back, the response closed', async function () {
    this.timeout(120_000);
    // A second server on the same database, whose stall window is short.
    const cutting = await startTestServer({ db: server.db, env: { EXPORT_MAX_CONCURRENT: '3', EXPORT_MAX_PER_HANDLE: '2', EXPORT_STALL_MS: '3000', EXPORT_MIN_BYTES_PER_S: '4096' } });
    try {
      // Both of A's slots (EXPORT_MAX_PER_HANDLE 2): A's export after the cut passes only if the cut gave them back.
      const stalled = [new StalledReader(cutting.url, path(a.handle), a.ownerToken), new StalledReader(cutting.url, path(a.handle), a.ownerToken)];
      readers.push(...stalled);
      await until('two stalled COPYs', async () => (await copySessions(cutting)) === 2);
      // A reader that takes nothing is cut within a few stall windows: COPY stopped, slots back, and
      // the response closed (what the kernel still buffered drains, then the connection ends).
      await until('COPYs stopped', async () => (await copySessions(cutting)) === 0, 30_000);
      const cut = await Promise.all(stalled.map((r) => r.drainToClose(20_000)));
      expect(cut).to.deep.equal([true, true]);
      const again = await cutting.http.get(path(a.handle) + '&from=2026-11-01T00:00:00Z&to=2026-11-01T00:10:00Z').set(a.auth).expect(200);
      expect(again.text.split('\n').length).to.be.greaterThan(1);
    } finally {
      await cutting.close();
    }
  });

  it("lets a partner run its part of the handle's exports only: the managers keep theirs, and other handles still export", async function () {
    this.timeout(120_000);
    await createPartner(server, a, 'p1');
    await holdSinceCreation(server, a, 'bulk', 'p1'); // A's 75 MB are p1's: its exports stall like the managers'
    const p1 = await partnerToken(server, a, 'p1');
    const realm = `/v2/handles/${a.handle}/partner/analytics/export?format=csv`;
    // EXPORT_MAX_PER_HANDLE 2: the partners' half is 1 export, p1's part 1.
    const stalled = [new StalledReader(server.url, realm, p1.token)];
    readers.push(...stalled);
    await until("p1's stalled COPY", async () => (await copySessions(server)) === 1);
    const second = await server.http.get(realm).set(p1.auth).expect(429);
    expect(second.body.error.message).to.equal('You already run 1 export; retry when one has finished.');
    // The managers still have theirs: one stalls too, and the handle's 2 are taken.
    const manager = new StalledReader(server.url, path(a.handle), a.ownerToken);
    readers.push(manager);
    await until('two stalled COPYs', async () => (await copySessions(server)) === 2);
    const third = await server.http.get(path(a.handle)).set(a.auth).expect(429);
    expect(third.body.error.message).to.match(/^This handle already runs 2 exports/);
    // Another handle exports meanwhile (the process's third slot): one tenant and its partners never take them all.
    expect((await server.http.get(path(c.handle)).set(c.auth).expect(200)).text.trimEnd().split('\n')).to.have.length(51);
    for (const r of [...stalled, manager]) r.destroy();
    await until('COPYs stopped', async () => (await copySessions(server)) === 0, 20_000);
  });
});
