import { expect } from 'chai';
import { MAX_DEPTH, unstorable } from '../../core/http/storable.ts';

// core/http/storable.ts: what PostgreSQL cannot store, found before validation, named by its JSON pointer.
describe('unstorable', () => {
  it('is null for a body PostgreSQL can store', () => {
    expect(unstorable({ a: 'x', b: [1, 2.5, { c: null, d: true }], 'e/f~g': 'ok', emoji: '😀' }, '/body')).to.equal(null);
    expect(unstorable('plain', '/body')).to.equal(null);
  });

  it('names the first problem by its pointer, keys escaped as RFC 6901 tokens, array items by index', () => {
    expect(unstorable({ metadata: { 'a/b': { 'c~d': ['ok', 'nul\u0000'] } } }, '/body')).to.deep.equal({
      pointer: '/body/metadata/a~1b/c~0d/1', message: 'must not contain U+0000',
    });
    expect(unstorable({ list: [{}, { lone: 'x\ud800' }] }, '/query')).to.deep.equal({
      pointer: '/query/list/1/lone', message: 'must be well-formed Unicode (no lone surrogates)',
    });
    expect(unstorable({ value: Infinity }, '/body')).to.deep.equal({ pointer: '/body/value', message: 'must be a finite number (beyond ±1.8e308 is not)' });
    expect(unstorable('top\u0000', '/params')).to.deep.equal({ pointer: '/params', message: 'must not contain U+0000' });
  });

  it('checks keys too, naming the key itself', () => {
    expect(unstorable({ outer: { 'bad\u0000key': 1 } }, '/body')).to.deep.equal({ pointer: '/body/outer/bad\u0000key', message: 'key must not contain U+0000' });
  });

  it(`stops at ${MAX_DEPTH} levels with the pointer of the level too deep, however deep the body goes`, () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { n: deep };
    const problem = unstorable(deep, '/body');
    expect(problem?.message).to.equal(`must not nest deeper than ${MAX_DEPTH} levels`);
    expect(problem?.pointer).to.equal(`/body${'/n'.repeat(MAX_DEPTH)}`);
  });
});
