import { expect } from 'chai';
import type { Pool } from 'pg';
import { ClickBuffer, type ClickRow } from '../../core/redirect/click-buffer.ts';
import type { ClickSpill } from '../../core/redirect/click-spill.ts';
import { clickRow, noSubscribers, silentLog } from '../support/click-buffer.ts';

// A review of the shutdown deadline: a failure left from before shutdown (the database back since) made close()
// spill every click instead of writing it, and a write to a database that never answers held close() past its
// deadline (and the process's forced exit). A fake pool stands in for those databases.


/** A pool whose connects fail (`fail` of them first), never answer (`hang`), or work and record the batch's rows. */
function fakePool(opts: { fail?: number; hang?: boolean }) {
  let connects = 0;
  const written: string[] = [];
  const client = {
    async query(q: string | { name?: string; values?: unknown[] }) {
      // A batch retried after a failure goes with ON CONFLICT (its commit may have happened): the statement `-again`.
      if (typeof q === 'object' && (q.name === 'tenx-click-batch' || q.name === 'tenx-click-batch-again')) written.push(...String(q.values![0]).slice(1, -1).split(','));
      return { rows: [] };
    },
    release() {},
  };
  const pool = {
    async connect() {
      connects++;
      if (opts.hang) return new Promise(() => {});
      if (connects <= (opts.fail ?? 0)) throw new Error('Connection terminated unexpectedly');
      return client;
    },
  };
  return { pool: pool as unknown as Pool, written, connects: () => connects };
}

function fakeSpill() {
  const spilled: ClickRow[] = [];
  const spill = { active: false, append: (r: ClickRow) => (spilled.push(r), true), read: async () => null, close: async () => {} };
  return { spill: spill as unknown as ClickSpill, spilled };
}

const buffer = (pool: Pool, spill?: ClickSpill) => new ClickBuffer({ pg: pool, outbox: noSubscribers, log: silentLog, flushMs: 1e9, batchSize: 1000, maxBuffered: 100_000, spill });

describe('ClickBuffer.close: write what it can before the deadline, then spill or count the rest', () => {
  it('writes the clicks of a database that failed once before shutdown and is back, instead of spilling them', async () => {
    const db = fakePool({ fail: 1 });
    const { spill, spilled } = fakeSpill();
    const b = buffer(db.pool, spill);
    for (let i = 0; i < 10; i++) b.push(clickRow(i));
    await b.flush(); // fails: a backoff is pending when the shutdown starts
    await b.close(8_000);
    expect(db.written).to.have.length(10);
    expect(spilled).to.deep.equal([]);
  });

  it('spills after two failing writes during shutdown, long before the deadline', async () => {
    const db = fakePool({ fail: 100 });
    const { spill, spilled } = fakeSpill();
    const b = buffer(db.pool, spill);
    for (let i = 0; i < 10; i++) b.push(clickRow(i));
    const started = performance.now();
    await b.close(8_000);
    expect(performance.now() - started).to.be.below(2_000);
    expect(spilled).to.have.length(10);
    expect(db.connects()).to.equal(2);
  });

  it('does not wait past the deadline for a write the database never answers: spilled, or counted as lost', async () => {
    for (const withSpill of [true, false]) {
      const db = fakePool({ hang: true });
      const { spill, spilled } = fakeSpill();
      const b = buffer(db.pool, withSpill ? spill : undefined);
      for (let i = 0; i < 10; i++) b.push(clickRow(i));
      const started = performance.now();
      await b.close(600);
      expect(performance.now() - started, `spill: ${withSpill}`).to.be.within(550, 1_500);
      expect(spilled).to.have.length(withSpill ? 10 : 0);
      expect(b.size).to.equal(0);
    }
  });
});
