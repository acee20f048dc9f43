import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import pg, { type Pool, type PoolClient } from 'pg';
import { loadConfig } from '../../config/index.ts';
import { startKernel, type Kernel } from '../../core/kernel.ts';
import { claimDeliveries, recordAttempts } from '../../core/notifications/delivery-store.ts';
import { campaign, person, waitFor } from '../support/redirect.ts';

/**
 * A loopback hop that forwards what the client sends in 16-byte pieces, one per event-loop turn:
 * how TCP may deliver a client's Parse/Bind/Execute/Sync when the server is busy.
 */
async function choppyWire(target: URL): Promise<{ url: string; server: Server }> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    upstream.pipe(client);
    let tail = Promise.resolve();
    client.on('data', (chunk) => {
      tail = tail.then(async () => {
        for (let i = 0; i < chunk.length; i += 16) {
          upstream.write(chunk.subarray(i, i + 16));
          await new Promise((r) => setImmediate(r));
        }
      });
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const url = new URL(target);
  url.port = String((server.address() as AddressInfo).port);
  return { url: url.toString(), server };
}

const ADMIN = { authorization: 'Bearer x-admin-0123456789abcdefghijklmnopqrstu', 'content-type': 'application/json' };

describe('embedded PostgreSQL under concurrent connections', function () {
  this.timeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-embedded-conc-'));
  let kernel: Kernel;
  let pool: Pool;
  before(async () => {
    const config = loadConfig({
      DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ADMIN_TOKEN: 'x-admin-0123456789abcdefghijklmnopqrstu', CTX_SECRETS: 'k-0123456789abcdef0123456789abcdef', SECRET_KEY: 's', TRUSTED_PROXIES: '127.0.0.1,::1',
    });
    kernel = await startKernel(config);
    pool = kernel.container.resolve<Pool>('pg');
  });
  after(async () => {
    await kernel?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives each of 50 concurrent parameterized queries of different arity its own answer', async () => {
    // Through the pool as is, and through a pool whose messages arrive piecemeal.
    const wire = await choppyWire(new URL((pool as unknown as { options: { connectionString: string } }).options.connectionString));
    const choppy = new pg.Pool({ connectionString: wire.url, max: 10 });
    try {
      await hammer(pool);
      await hammer(choppy);
    } finally {
      await choppy.end();
      wire.server.close();
    }
  });

  async function hammer(pool: Pool) {
    const one = async (i: number) => {
      switch (i % 3) {
        case 0: return [(await pool.query('select $1::int + $2::int as s', [i, 1000])).rows, [{ s: i + 1000 }]];
        case 1: return [(await pool.query('select $1::text as t', [`t-${i}`])).rows, [{ t: `t-${i}` }]];
        default: {
          const args = Array.from({ length: 16 }, (_, k) => i * 100 + k);
          const sql = `select ${args.map((_, k) => `$${k + 1}::int`).join(' + ')} as n, g from generate_series(1, $${args.length + 1}::int) g`;
          const want = Array.from({ length: i % 5 + 1 }, (_, g) => ({ n: args.reduce((a, b) => a + b, 0), g: g + 1 }));
          return [(await pool.query(sql, [...args, i % 5 + 1])).rows, want];
        }
      }
    };
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => one(i)));
      for (const [got, want] of results) expect(got).to.deep.equal(want);
    }
  }

  it('keeps a transaction\'s uncommitted rows from other connections and rolls back a vanished owner', async () => {
    await pool.query('create table if not exists embedded_probe (id int primary key, who text not null)');
    const a: PoolClient = await pool.connect();
    const b: PoolClient = await pool.connect();
    try {
      await a.query('begin');
      await a.query('insert into embedded_probe (id, who) values ($1, $2)', [1, 'a']);
      const seenByB = b.query('select count(*)::int as n from embedded_probe where id = $1', [1]);
      await new Promise((r) => setTimeout(r, 100));
      expect((await a.query('select count(*)::int as n from embedded_probe where id = $1', [1])).rows[0].n).to.equal(1);
      await a.query('rollback');
      expect((await seenByB).rows[0].n).to.equal(0);

      // Concurrent transactions, each checking it sees exactly its own uncommitted row; even ones commit.
      const tx = async (id: number) => {
        const c = await pool.connect();
        try {
          await c.query('begin');
          await c.query('insert into embedded_probe (id, who) values ($1, $2)', [id, `tx-${id}`]);
          const { rows } = await c.query('select id, who from embedded_probe where id >= 100 order by id');
          await c.query(id % 2 ? 'rollback' : 'commit');
          return rows;
        } finally {
          c.release();
        }
      };
      const ids = Array.from({ length: 20 }, (_, i) => 100 + i);
      const seen = await Promise.all(ids.map(tx));
      for (const [k, rows] of seen.entries()) expect(rows.filter((r) => r.id === ids[k])).to.deep.equal([{ id: ids[k], who: `tx-${ids[k]}` }]);
      const committed = await pool.query('select id from embedded_probe where id >= 100 order by id');
      expect(committed.rows.map((r) => r.id)).to.deep.equal(ids.filter((id) => id % 2 === 0));

      // A connection that dies inside a transaction: its insert is rolled back and the others go on.
      const doomed = await pool.connect();
      await doomed.query('begin');
      await doomed.query('insert into embedded_probe (id, who) values ($1, $2)', [2, 'doomed']);
      doomed.release(new Error('drop this connection'));
      expect((await b.query('select count(*)::int as n from embedded_probe where id = $1', [2])).rows[0].n).to.equal(0);
    } finally {
      a.release();
      b.release();
    }
  });

  it('sends what a closed connection\'s clean-up answers to no other client: the next query gets its own rows', async () => {
    // PGlite keeps the last streamed turn's output callback: a clean-up run without one of its own wrote its
    // CloseComplete and ReadyForQuery into that turn's client, which took the stray ReadyForQuery as the answer
    // to its next query (no rows), then that query's real answer as "unexpected" messages (seen in an
    // `npm start` log as "Received unexpected parseComplete message from backend").
    const url = (pool as unknown as { options: { connectionString: string } }).options.connectionString;
    const b = new pg.Client({ connectionString: url });
    const errors: string[] = [];
    b.on('error', (err) => errors.push(err.message));
    await b.connect();
    try {
      for (let round = 0; round < 3; round++) {
        const a = new pg.Client({ connectionString: url });
        await a.connect();
        // A named statement: when `a` goes, the server closes it for `a`, a clean-up with output.
        await a.query({ name: `closed-later-${round}`, text: 'select 1 as one' });
        await b.query('begin'); // `b` holds the session: the clean-up waits for its commit and runs right after it
        await a.end();
        await new Promise((r) => setTimeout(r, 150)); // `a`'s close has reached the server, its clean-up is queued
        const commit = b.query('commit');
        const next = b.query('select $1::int as answer', [40 + round]); // b's client sends it once the commit is answered
        await commit;
        expect((await next).rows).to.deep.equal([{ answer: 40 + round }]);
        expect((await b.query('select 7 as seven')).rows).to.deep.equal([{ seven: 7 }]);
      }
    } finally {
      await b.end().catch(() => undefined);
    }
    expect(errors).to.deep.equal([]);
  });

  it('serves 100 concurrent redirects next to analytics with no 5xx and stores every click', async () => {
    const base = kernel.url.replace('localhost', '127.0.0.1');
    const created = await fetch(`${base}/v2/handles`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ handle: 'burst', name: 'Burst' }) });
    expect(created.status).to.equal(201);
    const auth = { authorization: `Bearer ${(await created.json()).ownerToken}`, 'content-type': 'application/json' };
    const made = await fetch(`${base}/v2/handles/burst/campaigns`, {
      method: 'POST', headers: auth, body: JSON.stringify(campaign('burst-a', 'deal', 'https://merchant.example.com/p')),
    });
    expect(made.status).to.equal(201);

    const redirects = Array.from({ length: 100 }, () => fetch(`${base}/burst/deal`, { headers: person(), redirect: 'manual' }).then((r) => r.status));
    const analytics = Array.from({ length: 10 }, () => fetch(`${base}/v2/handles/burst/analytics?funnel=true`, { headers: auth }).then((r) => r.status));
    const statuses = await Promise.all([...redirects, ...analytics]);
    expect(statuses.slice(0, 100).every((s) => s === 302), String(statuses)).to.equal(true);
    expect(statuses.slice(100).every((s) => s === 200), String(statuses)).to.equal(true);

    const count = async () => (await pool.query('select count(*)::int as n from clicks where handle = $1', ['burst'])).rows[0].n as number;
    await waitFor('100 clicks', async () => (await count()) >= 100, 10_000, 100);
    expect(await count()).to.equal(100);
    const rolled = async () => (await pool.query('select sum(clicks)::int as c from click_rollups where handle = $1', ['burst'])).rows[0].c as number;
    await waitFor('100 clicks in rollups', async () => (await rolled()) >= 100, 10_000, 100);
    expect(await rolled()).to.equal(100);
  });

  it('records 60 concurrent conversions, repeats included, each key once: named statements on every connection', async () => {
    const base = kernel.url.replace('localhost', '127.0.0.1');
    const created = await fetch(`${base}/v2/handles`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ handle: 'conv', name: 'Conv' }) });
    const auth = { authorization: `Bearer ${(await created.json()).ownerToken}`, 'content-type': 'application/json' };
    const made = await fetch(`${base}/v2/handles/conv/campaigns`, { method: 'POST', headers: auth, body: JSON.stringify(campaign('conv-a', 'deal', 'https://merchant.example.com/p')) });
    expect(made.status).to.equal(201);
    const ctxs = await Promise.all(Array.from({ length: 20 }, () =>
      fetch(`${base}/conv/deal`, { headers: person(), redirect: 'manual' }).then((r) => new URL(r.headers.get('location')!).searchParams.get('ctx')!)));
    // Keys k-0 … k-39 once, then k-0 … k-19 again with the same body (each is its click's): 40 × 201, 20 × 200.
    const post = (i: number) => fetch(`${base}/v2/public/conversions`, {
      method: 'POST', headers: ADMIN, body: JSON.stringify({ ctx: ctxs[i % 20], eventType: 'affiliate_click', idempotencyKey: `k-${i % 40}`, value: 1 }),
    }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => post(i)));
    expect(statuses.filter((s) => s === 201), String(statuses)).to.have.length(40);
    expect(statuses.filter((s) => s === 200), String(statuses)).to.have.length(20);
    const { rows: [r] } = await pool.query("select count(*)::int as n, count(distinct idempotency_key)::int as keys from conversions where handle = 'conv'");
    expect(r).to.deep.equal({ n: 40, keys: 40 });
  });

  it("runs a webhook attempt's claim and record as named statements, from concurrent connections, on their generic plans", async () => {
    await pool.query(`insert into tenants (handle, name, reporting_currency) values ('wh', 'Wh', 'USD')`);
    const webhookId = crypto.randomUUID();
    await pool.query(`insert into webhooks (webhook_id, handle, endpoint_url, event_types, secret_sealed)
      values ($1, 'wh', 'https://receiver.example/', '{conversion.tested}', 'sealed')`, [webhookId]);
    const { rows } = await pool.query<{ delivery_id: string }>(`insert into deliveries (delivery_id, webhook_id, handle, event_id, event_type, body, event_created_at, next_attempt_at)
      select gen_random_uuid(), $1, 'wh', gen_random_uuid(), 'conversion.tested', '{}', now(), now() from generate_series(1, 20) returning delivery_id`, [webhookId]);
    const ids = rows.map((r) => r.delivery_id);
    const batches = [0, 1, 2, 3].map((b) => ids.slice(b * 5, b * 5 + 5));
    const claimed = await Promise.all(batches.map((batch) => claimDeliveries({ db: pool }, batch, 5000)));
    expect(claimed.map((m) => [...m.keys()].sort())).to.deep.equal(batches.map((batch) => [...batch].sort()));
    const snippet = (id: string) => `NULL, "${id}" {} \\`;
    const recorded = await Promise.all(batches.map((batch) => recordAttempts({ db: pool }, batch.map((deliveryId) => ({
      deliveryId, status: 'succeeded' as const, retryInMs: 0, counts: true, at: new Date(), statusCode: 200, latencyMs: 3, error: null, responseSnippet: snippet(deliveryId),
    })))));
    expect(recorded.map((set) => set.size)).to.deep.equal([5, 5, 5, 5]);
    const { rows: attempts } = await pool.query<{ delivery_id: string; response_snippet: string; status: string }>(
      `select a.delivery_id, a.response_snippet, d.status from delivery_attempts a join deliveries d using (delivery_id) where d.handle = 'wh'`);
    expect(attempts).to.have.length(20);
    for (const a of attempts) expect(a).to.deep.equal({ delivery_id: a.delivery_id, response_snippet: snippet(a.delivery_id), status: 'succeeded' });
    // PGlite forces generic plans for its one session (core/db/embedded.ts): named, they are never planned per batch.
    const { rows: [plans] } = await pool.query(`select coalesce(sum(generic_plans), 0)::int as generic, coalesce(sum(custom_plans), 0)::int as custom
      from pg_prepared_statements where statement like '%lease_until = now() + make_interval%' or statement like '%insert into delivery_attempts%'`);
    expect(plans.custom).to.equal(0);
    expect(plans.generic).to.be.at.least(2);
  });
});
