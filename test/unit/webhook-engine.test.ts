import { expect } from 'chai';
import { pino } from 'pino';
import { MAX_ATTEMPTS, retryDelayMs } from '../../core/notifications/backoff.ts';
import { createBatcher } from '../../core/notifications/batcher.ts';
import type { AttemptOutcome } from '../../core/notifications/deliver.ts';
import { deliveryBody } from '../../core/notifications/dispatcher.ts';
import { jobIdOf } from '../../core/notifications/scheduler-bullmq.ts';
import { LocalScheduler } from '../../core/notifications/scheduler-local.ts';
import { AUTO_WORKERS_MIN_BYTES, createSigner } from '../../core/notifications/signing-pool.ts';
import { generateSecret, signatureHeaders } from '../../core/notifications/signing.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook retry schedule', () => {
  it('is 6 attempts with waits of 5, 10, 20, 40 and 80 s at the default base', () => {
    expect(MAX_ATTEMPTS).to.equal(6);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(5000, n))).to.deep.equal([5000, 10_000, 20_000, 40_000, 80_000]);
    expect([1, 2, 3].map((n) => retryDelayMs(100, n))).to.deep.equal([100, 200, 400]);
  });
});

describe('delivery body and job ids', () => {
  it('serialises {id, type, createdAt, handle, data} once, so every retry sends the same bytes', () => {
    const at = new Date('2026-02-25T10:00:00.000Z');
    const body = deliveryBody('0190-d', 'conversion.tested', at, 'acme', { value: 24.99, currency: 'USD' });
    expect(JSON.parse(body)).to.deep.equal({ id: '0190-d', type: 'conversion.tested', createdAt: '2026-02-25T10:00:00.000Z', handle: 'acme', data: { value: 24.99, currency: 'USD' } });
    expect(deliveryBody('0190-d', 'conversion.tested', at, 'acme', { value: 24.99, currency: 'USD' })).to.equal(body);
  });

  it('uses the delivery id as the BullMQ job id, suffixed per redelivery cycle', () => {
    expect(jobIdOf({ deliveryId: 'abc', cycle: 0 })).to.equal('abc');
    expect(jobIdOf({ deliveryId: 'abc', cycle: 2 })).to.equal('abc-r2');
  });
});

describe('claim/record batcher', () => {
  it('runs the calls of one tick as one batch of distinct keys', async () => {
    const batches: string[][] = [];
    const load = createBatcher(async (keys: string[]) => {
      batches.push(keys);
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    const results = await Promise.all(['a', 'b', 'a', 'c'].map(load));
    expect(results).to.deep.equal(['A', 'B', 'A', 'C']);
    expect(batches).to.deep.equal([['a', 'b', 'c']]);
    expect(await load('d')).to.equal('D');
    expect(batches).to.have.length(2);
  });

  it('gives an exclusive result to one caller only (one sender per claimed delivery)', async () => {
    const claim = createBatcher(async (keys: string[]) => new Map(keys.map((k) => [k, `lease:${k}`])), { exclusive: true });
    const results = await Promise.all(['x', 'x', 'y'].map(claim));
    expect(results).to.deep.equal(['lease:x', undefined, 'lease:y']);
  });

  it('rejects every caller of a failed batch', async () => {
    const load = createBatcher(async (): Promise<Map<string, string>> => { throw new Error('database down'); });
    const settled = await Promise.allSettled([load('a'), load('b')]);
    expect(settled.map((s) => s.status)).to.deep.equal(['rejected', 'rejected']);
  });
});

describe('in-process delivery scheduler (embedded mode)', () => {
  const log = pino({ level: 'silent' });
  const key = { handle: 'acme', webhookId: 'w1' };

  it('attempts each delivery at its due time, retries after the delay it is told, and stops when done', async () => {
    const calls: Array<{ id: string; at: number }> = [];
    const outcomes: Record<string, AttemptOutcome[]> = {
      a: [{ kind: 'retry', delayMs: 60 }, { kind: 'succeeded' }],
      b: [{ kind: 'failed' }],
    };
    const scheduler = new LocalScheduler(async (id) => {
      calls.push({ id, at: Date.now() });
      return outcomes[id].shift()!;
    }, 10, log);
    scheduler.start();
    const t0 = Date.now();
    await scheduler.enqueue([{ deliveryId: 'a', cycle: 0, dueAt: t0, ...key }, { deliveryId: 'b', cycle: 0, dueAt: t0 + 40, ...key }]);
    await sleep(200);
    expect(calls.map((c) => c.id)).to.deep.equal(['a', 'b', 'a']);
    expect(calls[1].at - t0).to.be.at.least(35);
    expect(calls[2].at - calls[0].at).to.be.at.least(55);
    expect(scheduler.size).to.equal(0);
    await scheduler.stop();
  });

  it('never runs one delivery twice at once and keeps to its concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: string[] = [];
    const scheduler = new LocalScheduler(async (id) => {
      seen.push(id);
      peak = Math.max(peak, ++inFlight);
      await sleep(30);
      inFlight--;
      return { kind: 'succeeded' };
    }, 3, log);
    scheduler.start();
    const now = Date.now();
    const due = Array.from({ length: 9 }, (_, i) => ({ deliveryId: `d${i}`, cycle: 0, dueAt: now, ...key }));
    await scheduler.enqueue(due);
    await scheduler.enqueue(due); // a recovery sweep finding the same rows
    await sleep(20);
    await scheduler.enqueue(due.slice(0, 3)); // ...and again while they are in flight
    await sleep(250);
    expect(peak).to.equal(3);
    expect(seen.sort()).to.deep.equal(due.map((d) => d.deliveryId).sort());
    await scheduler.stop();
  });

  it('waits for a delivery another sender holds, and retries after an attempt that threw', async () => {
    const calls: string[] = [];
    let first = true;
    const scheduler = new LocalScheduler(async (id) => {
      calls.push(id);
      if (id === 'held' && first) {
        first = false;
        return { kind: 'later', atMs: Date.now() + 50 };
      }
      if (id === 'broken' && calls.filter((c) => c === 'broken').length === 1) throw new Error('database down');
      return { kind: 'succeeded' };
    }, 5, log);
    scheduler.start();
    await scheduler.enqueue([{ deliveryId: 'held', cycle: 0, dueAt: Date.now(), ...key }, { deliveryId: 'broken', cycle: 0, dueAt: Date.now(), ...key }]);
    await sleep(150);
    expect(calls.filter((c) => c === 'held')).to.have.length(2);
    expect(scheduler.size).to.equal(1); // 'broken' is waiting out its error delay
    await scheduler.stop();
    expect(scheduler.size).to.equal(0);
  });
});

describe('webhook signing placement (WEBHOOK_SIGNING)', function () {
  this.timeout(20_000);
  const secrets = [generateSecret()];

  it('auto signs ordinary bodies inline and only very large ones in the pool', () => {
    const signer = createSigner({ webhookSigning: 'auto', workerThreads: 1 });
    expect(signer.modeFor({ deliveryId: 'd', timestampSeconds: 1, body: 'x'.repeat(2000), secrets })).to.equal('inline');
    expect(signer.modeFor({ deliveryId: 'd', timestampSeconds: 1, body: 'x'.repeat(AUTO_WORKERS_MIN_BYTES), secrets })).to.equal('workers');
    expect(signer.modeFor({ deliveryId: 'd', timestampSeconds: 1, body: 'x'.repeat(AUTO_WORKERS_MIN_BYTES / 2), secrets: [...secrets, ...secrets] })).to.equal('workers');
  });

  it('produces the same headers in the worker pool as inline', async () => {
    const signer = createSigner({ webhookSigning: 'workers', workerThreads: 1 });
    try {
      const task = { deliveryId: 'msg_1', timestampSeconds: 1_700_000_000, body: '{"a":1}', secrets: [...secrets, generateSecret()] };
      const { headers, mode } = await signer.sign(task);
      expect(mode).to.equal('workers');
      expect(headers).to.deep.equal(signatureHeaders(task.deliveryId, task.timestampSeconds, task.body, task.secrets));
    } finally {
      await signer.close();
    }
  });
});
