import { expect } from 'chai';
import { newClickId } from '../../core/redirect/click-id.ts';

describe('click ids', () => {
  it('are UUIDv7: version 7, RFC variant, the time in their first 48 bits, and distinct', () => {
    const now = Date.UTC(2026, 1, 25, 12, 0, 0);
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(newClickId(now));
    expect(ids.size).to.equal(20_000);
    for (const id of [...ids].slice(0, 100)) {
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).to.equal(now);
    }
  });

  it('sort in the order they were drawn within one millisecond (a counter in rand_a), and by time across milliseconds', () => {
    const now = Date.UTC(2026, 1, 25, 12, 0, 1);
    const ids = [...Array.from({ length: 1000 }, () => newClickId(now)), newClickId(now + 1), newClickId(now + 1)];
    expect([...ids].sort()).to.deep.equal(ids);
  });
});
