import { expect } from 'chai';
import pg from 'pg';
import pino from 'pino';
import { RepeatBatcher, type Repeat } from '../../core/conversions/repeat-batcher.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// A batch of repeats runs RECORD_REPEATS on its generic plan (core/conversions/repeat-batcher.ts). Left to PostgreSQL's
// plan cache, a statement whose batches are a few rows long kept custom plans, planned anew for every batch (the
// conversions bench: 3,098 plans in 3,903 executions, more time planning than executing). pg_prepared_statements counts
// each session's plans; a pool of one connection makes the batcher's session the one asked.
describe('conversion repeats: one generic plan, not a plan per batch', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await createTestDatabase({ migrated: true });
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('plans RECORD_REPEATS generically from the first batch on, on PostgreSQL', async () => {
    const batcher = new RepeatBatcher({ db: pool, pool, log: pino({ level: 'silent' }) });
    const repeat = (i: number): Repeat => ({
      handle: 'acme', key: `order-${i}`, hashes: ['h'], submitted: '{"clickId":null}', auditId: crypto.randomUUID(), outboxId: crypto.randomUUID(),
      actor: 'public', authenticated: false, announce: false, ownClickOnly: false,
    });
    // One at a time: each its own batch, as a merchant's occasional retries are. No original exists: none is found.
    for (let i = 0; i < 8; i++) expect(await batcher.find(repeat(i))).to.equal(null);
    const { rows } = await pool.query<{ generic_plans: string; custom_plans: string }>(
      `select generic_plans, custom_plans from pg_prepared_statements where name = 'tenx_conversions_repeats'`,
    );
    expect(rows).to.have.length(1);
    expect(Number(rows[0].custom_plans)).to.equal(0);
    expect(Number(rows[0].generic_plans)).to.be.at.least(1);
  });
});
