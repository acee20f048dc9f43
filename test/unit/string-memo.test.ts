import { expect } from 'chai';
import { memoizeByString } from '../../core/infra/string-memo.ts';

describe('memoizeByString', () => {
  it('computes each argument once, null answers included, forgets the oldest past its size, and never keeps long ones', () => {
    const calls: string[] = [];
    const f = memoizeByString((k: string) => (calls.push(k), k.startsWith('n') ? null : k.length), { size: 2, maxKeyLength: 5 });
    expect([f('ab'), f('ab'), f('none'), f('none')]).to.deep.equal([2, 2, null, null]);
    expect(calls).to.deep.equal(['ab', 'none']);
    f('xyz'); // a third key: 'ab', the oldest, is forgotten
    f('ab');
    f('none'); // forgotten in turn by the 'ab' just kept
    expect(calls).to.deep.equal(['ab', 'none', 'xyz', 'ab', 'none']);
    f('toolong');
    f('toolong');
    expect(calls.filter((k) => k === 'toolong')).to.have.length(2);
  });
});
