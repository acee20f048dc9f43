import { expect } from 'chai';
import pg from 'pg';
import { transactionInOneRoundTrip, type PreparedCall, type PreparedStatement } from '../../core/db/one-round-trip.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// The conversion claim's transaction as one message (core/db/one-round-trip.ts), against PostgreSQL itself.
describe('a transaction in one round trip', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const insert: PreparedStatement = {
    name: 'test_insert_note',
    text: 'insert into notes (id, body, at) values ($1::int, $2::text, (select clock_timestamp())) returning id, body, at, statement_timestamp() as message_at',
  };
  before(async () => {
    db = await createTestDatabase();
    // One connection: every call below reuses the same session (its prepared statement, its transaction state).
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await pool.query('create table notes (id int primary key, body text, at timestamptz)');
    await pool.query('create table log (line text)');
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  it("commits the prelude's and the statement's writes and returns the statement's rows; text comes back as it was", async () => {
    const body = `it's a "quote", a back\\slash, {braces}, é 漢字 and a line\nbreak`;
    const result = await transactionInOneRoundTrip<{ id: number; body: string }>(pool, "insert into log values ('first')", insert, [1, body]);
    expect(result.rows).to.have.length(1);
    expect(result.rows[0]).to.include({ id: 1, body });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      expect((await other.query('select body from notes where id = 1')).rows).to.deep.equal([{ body }]);
      expect((await other.query('select line from log')).rows).to.deep.equal([{ line: 'first' }]);
    } finally {
      await other.end();
    }
  });

  it('reads every value back as it was with standard_conforming_strings off too (backslashes go in E literals)', async () => {
    // The pool's one connection: the setting holds for the call below.
    await pool.query('set standard_conforming_strings = off');
    try {
      const body = `back\\slash, \\', it's, \\n not a line break, 漢字`;
      const result = await transactionInOneRoundTrip<{ body: string }>(pool, '', insert, [10, body]);
      expect(result.rows[0].body).to.equal(body);
    } finally {
      await pool.query('reset standard_conforming_strings');
    }
  });

  it('passes null as NULL', async () => {
    const { rows } = await transactionInOneRoundTrip<{ id: number; body: string | null }>(pool, '', insert, [2, null]);
    expect(rows.map(({ id, body }) => ({ id, body }))).to.deep.equal([{ id: 2, body: null }]);
  });

  it('a failing statement rolls the prelude back and leaves the connection out of the failed transaction, its statement still prepared', async () => {
    const err = await transactionInOneRoundTrip(pool, "insert into log values ('lost')", insert, [1, 'again']).catch((e: unknown) => e);
    expect(err).to.have.property('code', '23505');
    const client = await pool.connect();
    try {
      // The one pooled connection: not in an aborted transaction (a query runs), the prelude's row gone.
      expect((await client.query("select count(*)::int as n from log where line = 'lost'")).rows).to.deep.equal([{ n: 0 }]);
      expect((await client.query("select count(*)::int as n from pg_prepared_statements where name = 'test_insert_note'")).rows).to.deep.equal([{ n: 1 }]);
    } finally {
      client.release();
    }
    const { rows } = await transactionInOneRoundTrip<{ id: number }>(pool, '', insert, [3, 'after the failure']);
    expect(rows.map((r) => r.id)).to.deep.equal([3]);
  });

  it('a statement deallocated behind its back (DISCARD ALL, a pooler) is prepared again and the message sent once more', async () => {
    const client = await pool.connect();
    await client.query('discard all');
    client.release();
    // The prelude's row is written once: the first message's transaction aborted at the execute.
    const { rows } = await transactionInOneRoundTrip<{ id: number }>(pool, "insert into log values ('resent')", insert, [5, 'prepared again']);
    expect(rows.map((r) => r.id)).to.deep.equal([5]);
    expect((await pool.query("select count(*)::int as n from log where line = 'resent'")).rows).to.deep.equal([{ n: 1 }]);
    expect((await pool.query('select body from notes where id = 5')).rows).to.deep.equal([{ body: 'prepared again' }]);
  });

  it('a statement deallocated again before the message is resent fails the call with 26000 and writes nothing', async () => {
    // The pool's one client, made to lose its prepared statements right after each of its next two PREPAREs: a session
    // that a pooler resets between every two commands.
    const client = await pool.connect();
    type Query = (...args: unknown[]) => Promise<unknown>;
    const query = client.query as unknown as Query;
    let prepares = 0;
    // Every other call (pool.query's, with a callback) goes through as it was.
    const losing = (...args: unknown[]) => {
      const text = args[0];
      if (typeof text !== 'string' || !text.startsWith('prepare ') || ++prepares > 2) return query.apply(client, args);
      return query.call(client, text).then(async (result) => {
        await query.call(client, 'deallocate all');
        return result;
      });
    };
    await client.query('deallocate all');
    (client as unknown as { query: Query }).query = losing;
    client.release();
    try {
      const err = await transactionInOneRoundTrip(pool, '', insert, [8, 'lost twice']).catch((e: unknown) => e);
      expect(err).to.have.property('code', '26000');
      expect((await pool.query('select count(*)::int as n from notes where id = 8')).rows).to.deep.equal([{ n: 0 }]);
      // The next call meets the second loss once, and its resend goes through.
      const { rows } = await transactionInOneRoundTrip<{ id: number }>(pool, '', insert, [8, 'sent again']);
      expect(rows.map((r) => r.id)).to.deep.equal([8]);
      expect(prepares).to.equal(3);
    } finally {
      (client as unknown as { query: Query }).query = query;
    }
  });

  it("a session that already holds the name (a pooler's session not reset, another version's text) has it replaced", async () => {
    const fresh = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await fresh.query(`prepare ${insert.name} as select $1::int as id, 'stale text' as body`);
      const { rows } = await transactionInOneRoundTrip<{ id: number; body: string }>(fresh, '', insert, [7, 'replaced']);
      expect(rows.map(({ id, body }) => ({ id, body }))).to.deep.equal([{ id: 7, body: 'replaced' }]);
      expect((await fresh.query('select body from notes where id = 7')).rows).to.deep.equal([{ body: 'replaced' }]);
    } finally {
      await fresh.end();
    }
  });

  it('a prelude ending in a comment does not swallow the statement or the commit', async () => {
    const { rows } = await transactionInOneRoundTrip<{ id: number }>(pool, "insert into log values ('commented') -- a comment", insert, [6, 'x']);
    expect(rows.map((r) => r.id)).to.deep.equal([6]);
    expect((await pool.query("select count(*)::int as n from log where line = 'commented'")).rows).to.deep.equal([{ n: 1 }]);
  });

  it('a prepared prelude (the handover locks) runs in the message, is prepared once, and is prepared again after DEALLOCATE ALL', async () => {
    const logLine: PreparedStatement = { name: 'test_log_line', text: 'insert into log values ($1::text || $2::text)' };
    const prelude = (a: string, b: string): PreparedCall => ({ statement: logLine, values: [a, b] });
    const plans = async () => (await pool.query<{ n: number }>(
      `select coalesce(sum(generic_plans + custom_plans), 0)::int as n from pg_prepared_statements where name = '${logLine.name}'`,
    )).rows[0].n;
    for (let i = 0; i < 3; i++) await transactionInOneRoundTrip(pool, prelude('call-', String(i)), insert, [20 + i, `call ${i}`]);
    expect((await pool.query("select line from log where line like 'call-%' order by line")).rows.map((r) => r.line)).to.deep.equal(['call-0', 'call-1', 'call-2']);
    expect(await plans()).to.equal(3); // one prepared statement, executed three times
    // A failing main statement rolls the prelude's write back too.
    await transactionInOneRoundTrip(pool, prelude('call-', 'lost'), insert, [20, 'taken']).catch(() => null);
    expect((await pool.query("select count(*)::int as n from log where line = 'call-lost'")).rows).to.deep.equal([{ n: 0 }]);
    const client = await pool.connect();
    await client.query('deallocate all');
    client.release();
    await transactionInOneRoundTrip(pool, prelude('call-', 'again'), insert, [30, 'y']);
    expect((await pool.query("select count(*)::int as n from log where line = 'call-again'")).rows).to.deep.equal([{ n: 1 }]);
    expect(await plans()).to.equal(1); // prepared anew after the DEALLOCATE, executed once
  });

  it("statement_timestamp() is the message's arrival, before the prelude; clock_timestamp() read in the statement comes after it", async () => {
    const { rows: [r] } = await transactionInOneRoundTrip<{ at: Date; message_at: Date }>(pool, 'select pg_sleep(0.2)', insert, [4, 'slept']);
    expect(r.at.getTime() - r.message_at.getTime()).to.be.at.least(200);
  });
});
