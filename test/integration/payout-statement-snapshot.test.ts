import http from 'node:http';
import { expect } from 'chai';
import type pg from 'pg';
import { parseCsv } from '../support/csv-parse.ts';
import { ledgerRows } from '../support/commissions.ts';
import { partnerCampaign } from '../support/conversions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A statement is read in pages of 5,000 lines; a payout canceled or marked paid while it downloads
// must not show in it half-way (later pages empty, or `paid` after `approved`): the statement is
// the payout as it was when the download began. The reader reads the first bytes, then stops for a
// while: the server is then held mid-statement by backpressure (the lines are megabytes, more than
// the socket buffers hold), and the other request commits between its pages.

// Six pages and a bit, each line with sub ids of the longest kind (100 characters, as the redirect keeps
// them): ~22 MB of CSV, ~27 MB of NDJSON, well past what loopback socket buffers take (~6 MB here).
const LINES = 30_500;

type Tenant = Awaited<ReturnType<typeof partnerCampaign>>;

interface Slow {
  req: http.ClientRequest;
  /** Resolves once the first bytes are in and the reader has stopped reading. */
  stopped: Promise<void>;
  /** Reads the rest; resolves with the whole body. */
  rest(): Promise<string>;
}

/** Opens `path` and stops reading after the first chunk (the server's writes then back up). */
function slowGet(server: TestServer, path: string, headers: Record<string, string>): Slow {
  const chunks: Buffer[] = [];
  let res!: http.IncomingMessage;
  let ended!: Promise<void>;
  // A connection of its own: one kept alive from a whole earlier statement has a receive buffer grown to hold this one.
  const req = http.get(new URL(path, server.url), { headers, agent: false });
  const stopped = new Promise<void>((ok, fail) => {
    req.on('error', fail);
    req.on('response', (r) => {
      res = r;
      if (r.statusCode !== 200) return fail(new Error(`status ${r.statusCode}`));
      ended = new Promise<void>((done, broke) => {
        r.on('end', done);
        r.on('error', broke);
        r.on('aborted', () => broke(new Error('response aborted')));
      });
      ended.catch(() => {}); // awaited by rest(), if at all
      r.on('data', (c: Buffer) => {
        chunks.push(c);
        if (chunks.length === 1) {
          // The socket too, not only the response: a paused response's socket still reads, and loopback's
          // receive buffer grows with what is read (to 32 MB here), enough for the whole statement.
          r.pause();
          r.socket.pause();
          setTimeout(ok, 400); // long enough for the server to fill the socket buffers and block
        }
      });
    });
  });
  return {
    req,
    stopped,
    async rest() {
      res.socket.resume();
      res.resume();
      await ended;
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

async function pendingPayout(server: TestServer, t: Tenant, partnerId: string) {
  await ledgerRows(server, Array.from({ length: LINES }, (_, i) => ({
    handle: t.handle, partnerId, amount: i % 10 === 9 ? '-0.25' : '1.10', ...(i % 10 === 9 && { type: 'clawback' as const }),
  })));
  // Sub ids, as a conversion inherits them from its click (the redirect keeps up to 100 characters of each).
  await server.sql.query(
    `update commissions set sub1 = 'newsletter-' || repeat('a', 89), sub2 = 'spring-sale-' || repeat('b', 88), sub3 = 'banner-' || repeat('c', 93),
                            sub4 = 'de-' || repeat('d', 97), sub5 = md5(commission_id::text) || repeat('e', 68)
      where handle = $1 and partner_id = $2`,
    [t.handle, partnerId],
  );
  const res = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: `k-${partnerId}`, partnerIds: [partnerId] }).expect(201);
  const [payout] = res.body.data as Array<{ payoutId: string; commissionCount: number }>;
  expect(payout.commissionCount).to.equal(LINES);
  return payout;
}

const until = async (what: string, check: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Backends of the test database inside a transaction that is waiting for its client (a statement held open). */
const idleInTransaction = async (server: TestServer) =>
  (await server.sql.query(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'`,
  )).rows[0].n as number;

describe('payout statements: one consistent picture of the payout', function () {
  this.timeout(60_000);
  let server: TestServer;
  let t: Tenant;
  let pool: pg.Pool;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
    pool = server.kernel.container.resolve<pg.Pool>('pg');
  });
  after(async () => server?.close());

  const statementPath = (payoutId: string, format: 'csv' | 'ndjson') => `/v2/handles/${t.handle}/payouts/${payoutId}/statement?format=${format}`;

  it('a payout canceled mid-download: every line, as they were before the cancel (NDJSON)', async () => {
    const payout = await pendingPayout(server, t, 'canceled-mid-way');
    const slow = slowGet(server, statementPath(payout.payoutId, 'ndjson'), t.auth);
    await slow.stopped;
    // Commits while the download is held between its pages.
    await server.http.post(`/v2/handles/${t.handle}/payouts/${payout.payoutId}/cancel`).set(t.auth).expect(200);
    const lines = (await slow.rest()).trim().split('\n').map((l) => JSON.parse(l) as { commissionId: string; status: string });
    expect(lines.length, 'lines in the statement').to.equal(payout.commissionCount);
    expect(new Set(lines.map((l) => l.commissionId)).size).to.equal(payout.commissionCount);
    expect([...new Set(lines.map((l) => l.status))]).to.deep.equal(['approved']);
  });

  it('a payout marked paid mid-download: every line, all with the status they had when it began (CSV)', async () => {
    const payout = await pendingPayout(server, t, 'paid-mid-way');
    const slow = slowGet(server, statementPath(payout.payoutId, 'csv'), t.auth);
    await slow.stopped;
    await server.http.post(`/v2/handles/${t.handle}/payouts/${payout.payoutId}/mark-paid`).set(t.auth).send({ reference: 'SEPA-1' }).expect(200);
    const [header, ...rows] = parseCsv(await slow.rest());
    const status = header.indexOf('status');
    expect(rows.length, 'lines in the statement').to.equal(payout.commissionCount);
    expect([...new Set(rows.map((r) => r[status]))]).to.deep.equal(['approved']);
    // Read again after the commit: the same lines, all paid.
    const after = parseCsv((await server.http.get(statementPath(payout.payoutId, 'csv')).set(t.auth).expect(200)).text);
    expect(after.length - 1).to.equal(payout.commissionCount);
    expect([...new Set(after.slice(1).map((r) => r[status]))]).to.deep.equal(['paid']);
  });

  it('a reader that goes away mid-download gives its connection back and leaves no transaction open', async () => {
    const payout = await pendingPayout(server, t, 'gone-mid-way');
    const slow = slowGet(server, statementPath(payout.payoutId, 'ndjson'), t.auth);
    await slow.stopped;
    // Held mid-way, in its transaction (waiting for its reader, not for the database).
    await until('the statement held in its transaction', async () => (await idleInTransaction(server)) === 1);
    slow.req.destroy();
    await until('no transaction left open', async () => (await idleInTransaction(server)) === 0);
    await until('the pool idle', async () => pool.idleCount === pool.totalCount);
    // The payout can still move, and a whole statement still reads.
    await server.http.post(`/v2/handles/${t.handle}/payouts/${payout.payoutId}/mark-paid`).set(t.auth).send({}).expect(200);
    const text = (await server.http.get(statementPath(payout.payoutId, 'csv')).set(t.auth).expect(200)).text;
    expect(text.split('\r\n').filter((l) => l.includes(',paid,'))).to.have.length(LINES);
  });
});

describe('payout statements: a reader that stops reading', function () {
  this.timeout(60_000);
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer({ env: { EXPORT_STALL_MS: '500' } });
    t = await partnerCampaign(server);
  });
  after(async () => server?.close());

  it('is cut after the stall window (EXPORT_STALL_MS): its connection and transaction are given back', async () => {
    const payout = await pendingPayout(server, t, 'stalled');
    const slow = slowGet(server, `/v2/handles/${t.handle}/payouts/${payout.payoutId}/statement?format=csv`, t.auth);
    await slow.stopped; // and never reads again
    await until('the statement held in its transaction', async () => (await idleInTransaction(server)) === 1);
    const pool = server.kernel.container.resolve<pg.Pool>('pg');
    await until('the stalled statement cut', async () => (await idleInTransaction(server)) === 0 && pool.idleCount === pool.totalCount, 5_000);
    const err = await slow.rest().then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/aborted|socket hang up|ECONNRESET|premature close/i);
    slow.req.destroy();
  });
});
