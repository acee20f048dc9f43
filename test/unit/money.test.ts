import { expect } from 'chai';
import fc from 'fast-check';
import { centsToText, moneyText, percentOfCents, toCents } from '../../core/commissions/money.ts';

describe('money: integer cents and decimal text', () => {
  it('reads a JSON number as decimal text only when it has at most 2 fraction digits', () => {
    expect([0.29, 33.33, 100, 0.1, 999_999_999_999.99, -2.5].map(moneyText)).to.deep.equal(['0.29', '33.33', '100', '0.1', '999999999999.99', '-2.5']);
    expect([1.005, 0.001, 1e-7, 1e21, Number.NaN, Infinity].map(moneyText)).to.deep.equal([null, null, null, null, null, null]);
  });

  it('converts text to cents and back without loss', () => {
    expect(toCents('12.3')).to.equal(1230n);
    expect(toCents('-0.05')).to.equal(-5n);
    expect(centsToText(-5n)).to.equal('-0.05');
    expect(centsToText(99_999_999_999_999n)).to.equal('999999999999.99');
    expect(() => toCents('1.234')).to.throw(RangeError);
    expect(() => toCents('1e3')).to.throw(RangeError);
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }), (c) => toCents(centsToText(c)) === c));
  });

  it('rounds a percent half up (away from zero) to a cent', () => {
    const pct = (v: string, p: string) => centsToText(percentOfCents(toCents(v), toCents(p)));
    expect(pct('0.01', '50')).to.equal('0.01'); // 0.005
    expect(pct('0.01', '49.99')).to.equal('0.00'); // 0.004999
    expect(pct('66.67', '50')).to.equal('33.34'); // 33.335
    expect(pct('-66.67', '50')).to.equal('-33.34'); // -33.335, as PostgreSQL's round()
    expect(pct('999999999999.99', '100')).to.equal('999999999999.99');
    expect(pct('999999999999.99', '33.33')).to.equal('333300000000.00');
  });
});
