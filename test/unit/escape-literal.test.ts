import { expect } from 'chai';
import pg from 'pg';
import { escapeLiteral } from '../../core/db/escape-literal.ts';

// core/db/escape-literal.ts replaces pg's escapeLiteral on the conversion claim's path: the same text for every string.
describe('escapeLiteral', () => {
  it("writes pg's literal: quotes doubled, and with a backslash every backslash doubled under E''", () => {
    expect(escapeLiteral('')).to.equal("''");
    expect(escapeLiteral('{a,b}')).to.equal("'{a,b}'");
    expect(escapeLiteral("O'Brien")).to.equal("'O''Brien'");
    expect(escapeLiteral('a\\b')).to.equal(" E'a\\\\b'");
    expect(escapeLiteral("'\\'")).to.equal(" E'''\\\\'''");
  });

  it("gives pg's text for any string: quotes, backslashes, E, NUL-free control characters, surrogates and other scripts", () => {
    const alphabet = ["'", '\\', 'E', 'e', '"', ' ', ',', '{', '}', '\n', '\t', '\u0001', 'é', '漢', '\ud83d', '\ude00', '😀', 'a', '0', '$'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const length = next() % 40;
      for (let j = 0; j < length; j++) s += alphabet[next() % alphabet.length];
      expect(escapeLiteral(s), JSON.stringify(s)).to.equal(pg.escapeLiteral(s));
    }
  });
});
