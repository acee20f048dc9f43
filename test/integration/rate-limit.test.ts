import { expect } from 'chai';
import { createRateLimiter, type RateDecision } from '../../core/conversions/rate-limit.ts';
import { redisClientPair } from '../support/redis-clients.ts';

const passed = (ds: RateDecision[]) => ds.map((d) => d.allowed);

describe('conversion rate limit (token buckets on real Redis, takes of one key batched)', () => {
  const redis = redisClientPair('rl');

  it('lets exactly the burst through, first come first served, and refuses the rest with the wait for a token', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 20 }, redis.a, redis.prefix);
    const decisions = await Promise.all(Array.from({ length: 30 }, () => limiter.take('203.0.113.7')));
    // The first take goes alone, the other 29 ride the next call: still 20 pass, in arrival order.
    expect(passed(decisions)).to.deep.equal([...Array(20).fill(true), ...Array(10).fill(false)]);
    // One token per 500 ms, less what refilled since the bucket was first touched (a few ms).
    for (const d of decisions.slice(20)) expect(d.allowed === false && d.retryAfterMs).to.be.within(400, 500);
    expect(new Set(decisions.slice(20).map((d) => !d.allowed && d.retryAfterMs)).size, 'one wait for a batch refused together').to.equal(1);
    expect(passed([await limiter.take('198.51.100.9')]), 'another client has its own bucket').to.deep.equal([true]);
  });

  it('shares one bucket between two processes (two clients)', async () => {
    const one = createRateLimiter({ ratePerSecond: 1, burst: 15 }, redis.a, redis.prefix);
    const two = createRateLimiter({ ratePerSecond: 1, burst: 15 }, redis.b, redis.prefix);
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).take('192.0.2.1')));
    expect(decisions.filter((d) => d.allowed)).to.have.length(15);
  });

  it('keeps no take waiting on a Redis that stops answering longer than the 5 s deadline, queued takes included', async function () {
    this.timeout(15_000);
    const stalled = { isReady: true, withCommandOptions: () => ({ isReady: true, evalSha: () => new Promise(() => {}), scriptLoad: () => new Promise(() => {}) }) };
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 3 }, stalled as never, redis.prefix);
    const started = Date.now();
    const first = limiter.take('198.51.100.2').then((d) => ({ d, at: Date.now() - started }));
    await new Promise((r) => setTimeout(r, 100));
    // Arrives while the first call hangs: it must not wait for that call's deadline and then a deadline of its own.
    const second = limiter.take('198.51.100.2').then((d) => ({ d, at: Date.now() - started }));
    const [a, b] = await Promise.all([first, second]);
    expect(a.at).to.be.within(4_900, 5_900);
    expect(b.at - 100, 'the second take, from its arrival').to.be.below(5_500);
    expect([a.d.allowed, b.d.allowed], 'decided by the in-process buckets').to.deep.equal([true, true]);
  });

  it('limits in process when the Redis call fails', async () => {
    const broken = { isReady: true, withCommandOptions: () => ({ isReady: true, evalSha: () => Promise.reject(new Error('down')), scriptLoad: () => Promise.reject(new Error('down')) }) };
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 3 }, broken as never, redis.prefix);
    expect(passed(await Promise.all(Array.from({ length: 5 }, () => limiter.take('198.51.100.1'))))).to.deep.equal([true, true, true, false, false]);
  });
});
