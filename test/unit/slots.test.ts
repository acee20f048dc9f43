import { expect } from 'chai';
import { Slots } from '../../core/infra/slots.ts';

describe('Slots: caps taken all or none', () => {
  it('takes a slot under every cap, refuses naming the full one, and releases once', () => {
    const slots = new Slots();
    const a1 = slots.take([['process', 3], ['handle:a', 2]]);
    const a2 = slots.take([['process', 3], ['handle:a', 2]]);
    expect(slots.take([['process', 3], ['handle:a', 2]])).to.deep.equal({ full: 'handle:a' });
    expect(slots.count('process')).to.equal(2); // the refused take held nothing
    const b = slots.take([['process', 3], ['handle:b', 2]]);
    expect(slots.take([['process', 3], ['handle:c', 2]])).to.deep.equal({ full: 'process' });
    if (!('release' in a1) || !('release' in a2) || !('release' in b)) throw new Error('expected slots');
    a1.release();
    a1.release();
    expect(slots.count('handle:a')).to.equal(1);
    expect(slots.count('process')).to.equal(2);
    expect(slots.take([['process', 3], ['handle:c', 2]])).to.have.property('release');
  });
});
