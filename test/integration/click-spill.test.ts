// Issue 18, 3: clicks beyond CLICK_BUFFER_MAX while PostgreSQL is away go to a spill file under
// DATA_DIR and reach PostgreSQL in order, exactly once, when it is back: answered 302s = stored rows.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { expect } from 'chai';
import type pg from 'pg';
import { proxiedServer } from '../support/pg-proxy.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { campaign, metric, person, trustLocalProxy, waitFor } from '../support/redirect.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { BASE_DATABASE_URL, createTestDatabase } from '../support/database.ts';

const DEST = 'https://merchant.example.com/product?ref=spill';
const SMALL_BUFFER = { ...trustLocalProxy, CLICK_BUFFER_MAX: '100', CLICK_BATCH_SIZE: '50' };

async function linkOf(server: TestServer) {
  const { handle, auth } = await createHandle(server);
  await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(campaign('partner-alpha', 'deal-alpha', DEST)).expect(201);
  return handle;
}

/** Follows the short link `n` times, 16 at a time; returns how many were answered 302. */
async function redirects(server: TestServer, handle: string, n: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let answered = 0;
  let next = 0;
  const once = () => new Promise<void>((done) => {
    http.get(`${server.url}/${handle}/deal-alpha`, { agent, headers: person() }, (res) => {
      if (res.statusCode === 302) answered++;
      res.resume().on('end', done);
    }).on('error', () => done());
  });
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next++ < n) await once();
  }));
  agent.destroy();
  return answered;
}

/** The spill's segment files, whichever process folder they are in. */
const segments = (server: TestServer) =>
  readdirSync(join(server.kernel.config.dataDir, 'click-spill'), { recursive: true }).map(String).filter((n) => n.endsWith('.ndjson'));

/** Rows, distinct click ids and the rollups' total for a handle, read past the proxy. */
async function stored(direct: pg.Pool, handle: string) {
  const { rows } = await direct.query(
    `select (select count(*)::int from clicks where handle = $1) as rows,
            (select count(distinct click_id)::int from clicks where handle = $1) as ids,
            (select coalesce(sum(clicks), 0)::int from click_rollups where handle = $1) as rollups`, [handle]);
  return rows[0] as { rows: number; ids: number; rollups: number };
}

describe('issue 18: clicks beyond the buffer are spilled to disk, not dropped', function () {
  this.timeout(60_000);

  it('stores every answered click of an outage longer than the buffer, once, rollups included', async () => {
    const env = await proxiedServer(SMALL_BUFFER);
    try {
      const { server, proxy, direct } = env;
      const handle = await linkOf(server);
      expect(await redirects(server, handle, 1)).to.equal(1); // warm: the link is now served from the cache
      await waitFor('the first click', async () => (await stored(direct, handle)).rows === 1);

      // (Counters are per test process, shared by every server a test run starts: compare differences.)
      const counters = async () => ({
        spilled: await metric(server, 'tenx_clicks_spilled_total'), dropped: await metric(server, 'tenx_clicks_dropped_total'),
        replayed: await metric(server, 'tenx_clicks_replayed_total'),
      });
      const before = await counters();
      await proxy.cut();
      const answered = 1 + (await redirects(server, handle, 600));
      expect(answered).to.equal(601);
      // The buffer holds 100 of the 600: the other 500 go to the spill, written a batch at a time (a first byte on disk
      // is not yet the last of them: a busy run read 468).
      await waitFor('the spill to be on disk', async () =>
        (await metric(server, 'tenx_click_spill_bytes')) > 0 && (await metric(server, 'tenx_clicks_spilled_total')) - before.spilled >= 500, 10_000);
      const cut = await counters();
      expect(cut.spilled - before.spilled).to.be.at.least(500);
      expect(cut.dropped - before.dropped).to.equal(0);
      expect(segments(server)).to.have.length.at.least(1);
      // More clicks while it drains go behind the spilled ones.
      await proxy.restore();
      const during = await redirects(server, handle, 200);

      await waitFor('every click stored', async () => (await stored(direct, handle)).rows >= answered + during, 20_000, 100);
      await new Promise((r) => setTimeout(r, 300)); // nothing is written twice after the last one
      expect(await stored(direct, handle)).to.deep.equal({ rows: answered + during, ids: answered + during, rollups: answered + during });
      await waitFor('the spill to drain', async () => (await metric(server, 'tenx_click_spill_bytes')) === 0);
      const after = await counters();
      console.log(`      spill run: ${JSON.stringify({ answeredDuringOutage: answered, answeredWhileDraining: during, spilled: after.spilled - before.spilled, replayed: after.replayed - before.replayed, dropped: after.dropped - before.dropped, stored: await stored(direct, handle) })}`);
      expect(after.replayed - before.replayed).to.equal(after.spilled - before.spilled);
      expect(after.dropped - before.dropped).to.equal(0);
      expect(segments(server)).to.deep.equal([]);
    } finally {
      await env.close();
    }
  });

  // Black-box pass: `tenx serve` stopped during an outage retried the memory's clicks until SHUTDOWN_TIMEOUT_MS,
  // the very moment the process forces its exit (code 1): the clicks held in memory (CLICK_BUFFER_MAX) were lost.
  for (const shutdownMs of ['300', '8000']) {
    it(`keeps the spill across a restart: a server stopped during the outage writes it when it next starts (SHUTDOWN_TIMEOUT_MS ${shutdownMs})`, async () => {
      await spillAcrossRestart(shutdownMs);
    });
  }

  // Without a spill (CLICK_SPILL_MAX_MB=0) the buffer retried until SHUTDOWN_TIMEOUT_MS counted from after the
  // connections had drained, past the process's forced exit: its clicks were lost with no line and no count.
  it('without a spill, stops retrying before the forced exit and counts the clicks it could not write', async () => {
    const env = await proxiedServer({ ...SMALL_BUFFER, CLICK_SPILL_MAX_MB: '0', SHUTDOWN_TIMEOUT_MS: '4000' });
    try {
      const { server, proxy } = env;
      const handle = await linkOf(server);
      expect(await redirects(server, handle, 1)).to.equal(1);
      await proxy.cut();
      expect(await redirects(server, handle, 60)).to.equal(60);
      const dropped = await metric(server, 'tenx_clicks_dropped_total', 'reason="shutdown"');
      const closing = performance.now();
      await server.kernel.close();
      // serve.ts forces the exit at 4,000 ms from the signal: everything must be said before it (the buffer stops
      // at 3,000, a margin for the closers after it on a busy box).
      expect(performance.now() - closing).to.be.below(3_900);
      const { clicksDropped } = await import('../../core/redirect/metrics.ts');
      const after = (await clicksDropped.get()).values.filter((v) => v.labels.reason === 'shutdown').reduce((n, v) => n + v.value, 0);
      expect(after - dropped).to.be.at.least(60);
    } finally {
      await env.close();
    }
  });

  async function spillAcrossRestart(shutdownMs: string) {
    const db = await createTestDatabase();
    const base = new URL(BASE_DATABASE_URL);
    const proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 5432) });
    const dataDir = mkdtempSync(join(tmpdir(), 'tenx-spill-'));
    const env = { ...SMALL_BUFFER, DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_MS: shutdownMs };
    const proxied = { ...db, url: proxy.urlFor(db.url) };
    let second: TestServer | null = null;
    try {
      const first = await startTestServer({ db: proxied, env });
      first.sql.on('error', () => {});
      const handle = await linkOf(first);
      expect(await redirects(first, handle, 1)).to.equal(1);
      await proxy.cut();
      const answered = 1 + (await redirects(first, handle, 400));
      const closing = performance.now();
      await first.close(); // the database is still away: memory and spill end up on disk
      // Well before the process's forced exit at SHUTDOWN_TIMEOUT_MS (one flush attempt, then the spill).
      expect(performance.now() - closing).to.be.below(Math.max(1_500, Number(shutdownMs) / 2));

      await proxy.restore();
      second = await startTestServer({ db: proxied, env });
      const direct = second.sql;
      await waitFor('the spilled clicks of the first run', async () => (await stored(direct, handle)).rows >= answered, 20_000, 100);
      await new Promise((r) => setTimeout(r, 300));
      expect(await stored(direct, handle)).to.deep.equal({ rows: answered, ids: answered, rollups: answered });
    } finally {
      await second?.close();
      await proxy.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
});
