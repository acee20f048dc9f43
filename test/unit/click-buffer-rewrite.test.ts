import { expect } from 'chai';
import type { Pool } from 'pg';
import { ClickBuffer, type ClickRow } from '../../core/redirect/click-buffer.ts';
import type { ClickSpill, SpillBatch } from '../../core/redirect/click-spill.ts';
import { clickRow, noSubscribers, silentLog } from '../support/click-buffer.ts';

// Which insert a batch goes with. A batch that may meet rows already stored (a spill replayed, a batch retried after a
// failure whose commit may have happened) goes with ON CONFLICT at once: a plain insert failing on the key first is a
// failed statement, and PostgreSQL logs a failed statement's text, which for a batch sent as one message holds every
// click's values (a review found that). A fresh batch goes with the plain insert (cheaper per row).


/**
 * A pool whose first `fail` connects fail and whose connection records the insert each batch used: the protocol-level
 * statement's name (three round trips) or the SQL prepared statement's (one message). `conflictOnPlain`: the plain insert
 * fails on the key (23505), as it does when the rows are there.
 */
function fakePool(opts: { fail?: number; conflictOnPlain?: boolean } = {}) {
  let connects = 0;
  const inserts: string[] = [];
  const client = {
    async query(q: string | { name?: string }) {
      // One message executes the handover locks' prepared statement first, then the batch's.
      const names = typeof q === 'string' ? [...q.matchAll(/\bexecute (\w+)\(/g)].map((m) => m[1]) : [q.name];
      const name = names.find((n) => n && /click[-_]batch(?![-_]handover)/.test(n));
      if (name) {
        inserts.push(name);
        if (opts.conflictOnPlain && !/again/.test(name)) throw Object.assign(new Error('duplicate key'), { code: '23505' });
      }
      if (typeof q === 'string' && q.includes('\n;\n')) return q.split('\n;\n').map((part) => ({ command: part.split(' ')[0].toUpperCase(), rows: [] }));
      return { rows: [] };
    },
    release() {},
  };
  const pool = {
    async connect() {
      if (++connects <= (opts.fail ?? 0)) throw new Error('Connection terminated unexpectedly');
      return client;
    },
  };
  return { pool: pool as unknown as Pool, inserts };
}

/** A spill holding one batch of clicks to replay. */
function spillOf(rows: ClickRow[]) {
  let pending: ClickRow[] | null = rows;
  const spill = {
    get active() {
      return pending !== null;
    },
    append: () => true,
    read: async (): Promise<SpillBatch | null> => (pending ? { rows: pending, done: async () => void (pending = null) } : null),
    close: async () => {},
  };
  return spill as unknown as ClickSpill;
}

const buffer = (pool: Pool, oneMessage: boolean, spill?: ClickSpill) =>
  new ClickBuffer({ pg: pool, outbox: noSubscribers, log: silentLog, flushMs: 1e9, batchSize: 1000, maxBuffered: 100_000, spill, oneMessage });

for (const oneMessage of [true, false]) {
  const plain = oneMessage ? 'tenx_click_batch' : 'tenx-click-batch';
  const again = oneMessage ? 'tenx_click_batch_again' : 'tenx-click-batch-again';
  describe(`ClickBuffer: the insert a batch goes with (${oneMessage ? 'one message' : 'three round trips'})`, () => {
    it('a fresh batch: the plain insert', async () => {
      const db = fakePool();
      const b = buffer(db.pool, oneMessage);
      b.push(clickRow(1));
      await b.flush();
      expect(db.inserts).to.deep.equal([plain]);
      expect(b.size).to.equal(0);
    });

    it('a batch retried after a failure: ON CONFLICT at once, no failing plain insert first', async () => {
      const db = fakePool({ fail: 1 });
      const b = buffer(db.pool, oneMessage);
      b.push(clickRow(1));
      await b.flush(); // fails: kept
      expect(b.size).to.equal(1);
      (b as unknown as { retryAt: number }).retryAt = 0;
      await b.flush();
      expect(db.inserts).to.deep.equal([again]);
      expect(b.size).to.equal(0);
      b.push(clickRow(2)); // written again: fresh batches go plain
      await b.flush();
      expect(db.inserts).to.deep.equal([again, plain]);
    });

    it('a replayed spill: ON CONFLICT at once', async () => {
      const db = fakePool();
      const b = buffer(db.pool, oneMessage, spillOf([clickRow(1), clickRow(2)]));
      await b.flush();
      expect(db.inserts).to.deep.equal([again]);
    });

    it('a fresh batch whose plain insert fails on the key is written again with ON CONFLICT', async () => {
      const db = fakePool({ conflictOnPlain: true });
      const b = buffer(db.pool, oneMessage);
      b.push(clickRow(1));
      await b.flush();
      expect(db.inserts).to.deep.equal([plain, again]);
      expect(b.size).to.equal(0);
    });
  });
}
