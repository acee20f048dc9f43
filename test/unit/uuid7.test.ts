import { expect } from 'chai';
import { uuidv7 } from '../../core/infra/uuid7.ts';

describe('uuidv7 (pooled, monotonic within a process)', () => {
  it('is an RFC 9562 version-7 UUID carrying its millisecond', () => {
    // A later ms than any id this process minted before: the given time is used as is.
    const ms = Date.now() + 3_600_000;
    const id = uuidv7(ms);
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).to.equal(ms);
  });

  it('sorts in minting order, also 5,000 ids in one millisecond, and never repeats', () => {
    const ms = Date.now() + 7_200_000;
    const ids = Array.from({ length: 5000 }, () => uuidv7(ms));
    expect([...ids].sort()).to.deep.equal(ids);
    expect(new Set(ids).size).to.equal(ids.length);
    const later = Array.from({ length: 100 }, (_, i) => uuidv7(ms + 10 + i));
    expect([...ids, ...later].sort()).to.deep.equal([...ids, ...later]);
  });
});
