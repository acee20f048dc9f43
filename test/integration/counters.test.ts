import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createClient } from 'redis';
import { createCounters } from '../../core/infra/counters.ts';
import type { Redis } from '../../core/infra/redis.ts';
import { freePort } from '../support/net.ts';
import { redisClientPair } from '../support/redis-clients.ts';
import { startRedis } from '../support/redis-server.ts';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('shared counters (group-committed increments on real Redis)', () => {
  const redis = redisClientPair('counters');

  it('gives 1,000 concurrent increments of one key each its own count, 1 … 1000', async () => {
    const counters = createCounters(redis.a, redis.prefix);
    const counts = await Promise.all(range(1, 1000).map(() => counters.increment('k1', 60)));
    expect([...counts].sort((x, y) => x - y)).to.deep.equal(range(1, 1000));
    // Arrival order is kept: the first caller got 1.
    expect(counts[0]).to.equal(1);
    const stored = await redis.a.keys(`${redis.prefix}:c:k1:*`);
    expect(stored).to.have.length(1);
    expect(Number(await redis.a.get(stored[0]))).to.equal(1000);
    expect(await redis.a.ttl(stored[0])).to.be.within(1, 61);
  });

  it('shares one count between two processes (two clients), with no count given twice', async () => {
    const one = createCounters(redis.a, redis.prefix);
    const two = createCounters(redis.b, redis.prefix);
    const counts = await Promise.all(range(1, 600).map((i) => (i % 2 ? one : two).increment('k2', 60)));
    expect([...counts].sort((x, y) => x - y)).to.deep.equal(range(1, 600));
  });

  it('keeps keys apart, and batches arriving during a flush are counted in the next one', async () => {
    const counters = createCounters(redis.a, redis.prefix);
    const first = await Promise.all([counters.increment('x', 60), counters.increment('y', 60), counters.increment('x', 60)]);
    expect(first).to.deep.equal([1, 1, 2]);
    const inFlight = counters.increment('x', 60);
    const queued = [counters.increment('x', 60)];
    await new Promise((r) => setImmediate(r));
    queued.push(counters.increment('x', 60), counters.increment('y', 60));
    expect(await Promise.all([inFlight, ...queued])).to.deep.equal([3, 4, 5, 2]);
  });

  it('counts one key asked with two window lengths in one flush in two windows, each in order', async () => {
    const counters = createCounters(redis.a, redis.prefix);
    // All five within one second: not started in the last 100 ms of one.
    while (Date.now() % 1000 > 900) await new Promise((r) => setTimeout(r, 20));
    const counts = await Promise.all([
      counters.increment('w', 60), counters.increment('w', 1), counters.increment('w', 60), counters.increment('w', 1), counters.increment('w', 1),
    ]);
    expect(counts).to.deep.equal([1, 1, 2, 2, 3]);
    const stored = (await redis.a.keys(`${redis.prefix}:c:w:*`)).sort();
    expect(stored).to.have.length(2);
    expect((await Promise.all(stored.map((k) => redis.a.get(k)))).map(Number).sort()).to.deep.equal([2, 3]);
  });

  it('keeps arrival order when two window lengths land on one Redis key (the same window number)', async () => {
    const counters = createCounters(redis.a, redis.prefix);
    // Windows of 1e9 s and 1.1e9 s: both are window 1 until 2034, so both count under `…:c:long:1`.
    const counts = await Promise.all([counters.increment('long', 1e9), counters.increment('long', 1.1e9), counters.increment('long', 1e9), counters.increment('long', 1.1e9)]);
    expect(counts).to.deep.equal([1, 2, 3, 4]);
    expect(await redis.a.keys(`${redis.prefix}:c:long:*`)).to.deep.equal([`${redis.prefix}:c:long:1`]);
  });

  it('counts in process when Redis is absent, and when a key cannot be incremented', async () => {
    const local = createCounters(null, redis.prefix);
    expect(await Promise.all(range(1, 5).map(() => local.increment('z', 60)))).to.deep.equal(range(1, 5));

    // A key holding a non-integer makes INCRBY fail for that key only: it falls back, others still count in Redis.
    const counters = createCounters(redis.a, redis.prefix);
    const window = Math.floor(Date.now() / 60_000);
    await redis.a.set(`${redis.prefix}:c:broken:${window}`, 'not a number');
    const [broken, fine] = await Promise.all([counters.increment('broken', 60), counters.increment('fine', 60)]);
    expect(broken).to.equal(1);
    expect(fine).to.equal(1);
    const [fineKey] = await redis.a.keys(`${redis.prefix}:c:fine:*`);
    expect(Number(await redis.a.get(fineKey))).to.equal(1);
  });

  it('does not wait on a Redis that stops answering: past the deadline it counts in process', async function () {
    if (spawnSync('redis-server', ['--version']).status !== 0) this.skip(); // needs a redis-server binary of its own
    this.timeout(10_000);
    // A Redis of its own: CLIENT PAUSE ALL stalls every client of the server, and the shared one serves the other
    // workers' files of `npm test --parallel` (and other runs, benches) meanwhile.
    const port = await freePort();
    const server = await startRedis(port);
    const [a, b] = [createClient({ url: `redis://127.0.0.1:${port}` }) as Redis, createClient({ url: `redis://127.0.0.1:${port}` }) as Redis];
    try {
      await Promise.all([a.connect(), b.connect()]);
      const counters = createCounters(a, redis.prefix);
      expect(await counters.increment('paused', 60)).to.equal(1);
      // Redis takes the connection but answers nothing for 2 s (as when it dies mid-flush).
      await b.sendCommand(['CLIENT', 'PAUSE', '2000', 'ALL']);
      const started = Date.now();
      const [during, sharedMs] = await Promise.all([
        Promise.all([counters.increment('paused', 60), counters.increment('paused', 60)]),
        redis.a.ping().then(() => Date.now() - started),
      ]);
      expect(Date.now() - started).to.be.below(1500);
      expect(during).to.deep.equal([1, 2]); // this process's own window: Redis's count was not reachable
      expect(sharedMs, 'the shared Redis answered others meanwhile').to.be.below(1000);
    } finally {
      a.destroy();
      b.destroy();
      server.kill('SIGKILL');
      await new Promise((ok) => server.once('exit', ok));
    }
  });
});
