import { expect } from 'chai';
import pg from 'pg';
import { boolArray, plainArray, textArray } from '../../core/db/pg-array.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// The batch statements' array literals (core/db/pg-array.ts), read back by PostgreSQL itself.
describe('batch array literals', () => {
  let db: TestDatabase;
  let client: pg.Client;
  before(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await db.drop();
  });

  it('text: every value comes back as it was, quotes, backslashes, separators, "NULL" and repeats included', async () => {
    const values = ['plain', 'say "hi"', 'back\\slash', 'a,b', '{braces}', ' spaced ', '', 'NULL', 'null', null, 'é ü 漢字 🙂', 'tab\there', 'line\nbreak', 'say "hi"', 'back\\slash', 'ends with \\',
      // Runs of one value (an element reused from the row before), and a null next to "NULL".
      'run', 'run', 'run', null, null, 'NULL', null, 'say "hi"', 'say "hi"', ''];
    // As given, and starting with a null and a repeated value (the first element has no row before it).
    for (const batch of [values, [null, null, 'x', 'x', ...values]]) {
      const { rows: [r] } = await client.query('select $1::text[] as a', [textArray(batch.map((v) => ({ v })), (x) => x.v)]);
      expect(r.a).to.deep.equal(batch);
    }
  });

  it('plain: uuids, timestamps and base64url hashes, with NULLs', async () => {
    const rows = [
      { id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', at: '2026-12-02T21:00:00.123Z', h: 'Ab-_09xyzAb-_09xyzAb-_' },
      { id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c', at: '2026-12-02T21:00:00.000Z', h: null },
    ];
    const { rows: [r] } = await client.query('select $1::uuid[] as ids, $2::timestamptz[] as ats, $3::text[] as hs', [
      plainArray(rows, (x) => x.id), plainArray(rows, (x) => x.at), plainArray(rows, (x) => x.h),
    ]);
    expect(r.ids).to.deep.equal(rows.map((x) => x.id));
    expect(r.ats.map((d: Date) => d.toISOString())).to.deep.equal(rows.map((x) => x.at));
    expect(r.hs).to.deep.equal(rows.map((x) => x.h));
  });

  it('booleans, and an empty batch', async () => {
    const { rows: [r] } = await client.query('select $1::boolean[] as b, $2::text[] as e', [boolArray([true, false, true], (x) => x), textArray([], () => null)]);
    expect(r.b).to.deep.equal([true, false, true]);
    expect(r.e).to.deep.equal([]);
  });
});
