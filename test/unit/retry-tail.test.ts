import { expect } from 'chai';
import { MAX_ATTEMPTS, attemptsAllowed, nextRetryDelayMs, retryTailAttempts, tailIntervalMs } from '../../core/notifications/backoff.ts';

describe('webhook retry tail (WEBHOOK_RETRY_TAIL)', () => {
  it('reads the tail as a count of hourly attempts: off, hours or days', () => {
    expect(retryTailAttempts('')).to.equal(0);
    expect(retryTailAttempts('off')).to.equal(0);
    expect(retryTailAttempts('24h')).to.equal(24);
    expect(retryTailAttempts('3d')).to.equal(72);
    expect(() => retryTailAttempts('90m')).to.throw(/WEBHOOK_RETRY_TAIL/);
  });

  it('keeps the seed schedule, then waits an hour (scaled like the backoff) until the tail ends', () => {
    const base = 5000;
    expect(tailIntervalMs(base)).to.equal(3_600_000);
    const tail = retryTailAttempts('24h');
    expect(attemptsAllowed(tail)).to.equal(MAX_ATTEMPTS + 24);
    const waits: number[] = [];
    for (let failed = 1; ; failed++) {
      const wait = nextRetryDelayMs(base, failed, tail);
      if (wait === null) break;
      waits.push(wait);
    }
    expect(waits.slice(0, 5)).to.deep.equal([5000, 10_000, 20_000, 40_000, 80_000]);
    expect(waits.slice(5)).to.deep.equal(Array(24).fill(3_600_000));
    // The last attempt comes 24 h after the fifth retry.
    expect(waits.slice(5).reduce((a, b) => a + b, 0)).to.equal(24 * 3_600_000);
  });

  it('without a tail ends after the fifth retry, and scales with a test base', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => nextRetryDelayMs(5000, n, 0))).to.deep.equal([5000, 10_000, 20_000, 40_000, 80_000, null]);
    expect(tailIntervalMs(50)).to.equal(36_000);
    expect(nextRetryDelayMs(50, 6, 2)).to.equal(36_000);
    expect(nextRetryDelayMs(50, 7, 2)).to.equal(36_000);
    expect(nextRetryDelayMs(50, 8, 2)).to.equal(null);
  });
});
