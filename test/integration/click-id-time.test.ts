import { expect } from 'chai';
import pg from 'pg';
import pino from 'pino';
import { initOrm } from '../../core/db/orm.ts';
import { newClickId } from '../../core/redirect/click-id.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// click_id_time() (migrations 0020, 0022): the time a UUIDv7 click id carries, inlined into the queries that call it.
describe('click_id_time()', () => {
  let db: TestDatabase;
  let sql: pg.Pool;
  before(async function () {
    this.timeout(60_000);
    db = await createTestDatabase();
    const orm = await initOrm(db.url, 2, pino({ level: 'silent' }));
    try {
      await orm.getMigrator().up();
    } finally {
      await orm.close();
    }
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
    // end() resolves before its socket has closed, and the drop's `with (force)` right after may terminate it: an 'error'
    // on a pool without a listener was an uncaught exception, failing whichever test ran next in the worker (as server.ts).
    sql.on('error', () => {});
  });
  after(async () => {
    await sql?.end();
    await db?.drop();
  });

  it("gives a v7 id's millisecond, and null for another version or a null id", async () => {
    const times = [0, 1, 1_764_748_800_123, Date.UTC(2026, 11, 31, 23, 59, 59, 999), 2 ** 47];
    for (const ms of times) {
      const id = newClickId(ms);
      const { rows: [r] } = await sql.query('select click_id_time($1::uuid) as at', [id]);
      expect(r.at.getTime(), id).to.equal(ms);
    }
    const { rows: [r] } = await sql.query("select click_id_time('3d6f0e2a-5b1c-4a8e-9f00-0123456789ab') as v4, click_id_time(null) as none");
    expect(r).to.deep.equal({ v4: null, none: null });
  });

  it('is inlined: the plan holds its expression, not a call through the SQL function executor', async () => {
    const { rows: [fn] } = await sql.query("select proisstrict, provolatile from pg_proc where proname = 'click_id_time'");
    expect(fn).to.deep.equal({ proisstrict: false, provolatile: 'i' });
    // Over a column, as the queries call it (a constant argument would be folded at planning).
    const { rows } = await sql.query('explain (verbose, costs off) select click_id_time(click_id) from clicks');
    const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(plan).to.include('to_timestamp');
    expect(plan).not.to.include('click_id_time');
  });
});
