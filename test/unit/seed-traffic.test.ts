import { expect } from 'chai';
import { changedValue, order, rng } from '../../scripts/cli/seed-traffic.ts';

// `tenx seed-demo` resubmits two orders with a changed amount (the mismatch case). It added 5 in floating point, and
// an amount such as 11.01 became 16.009999999999998, which the API refuses (400: at most 2 fraction digits); the whole
// seed-demo run stopped there, with whatever seed the clock gave it.
describe('seed-demo orders', () => {
  const cents = (v: number) => /^\d+(\.\d{1,2})?$/.test(String(v));

  it('a changed order stays in whole cents, whatever the amount', () => {
    expect(11.01 + 5).to.not.satisfy(cents); // the failure this guards against
    expect(changedValue(11.01, 5)).to.equal(16.01);
    const r = rng(1);
    for (let i = 0; i < 10_000; i++) {
      const { value } = order(r, 'US');
      expect(value, `order ${i}`).to.satisfy(cents);
      expect(changedValue(value, 5), `changed ${value}`).to.satisfy(cents);
    }
  });
});
