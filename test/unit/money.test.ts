import { expect } from 'chai';
import fc from 'fast-check';
import { centsOf, centsToText, moneyOf, moneyText, percentOfCents, toCents } from '../../core/commissions/money.ts';
import { isRawNumber, numeric, numericText, parseExactJson } from '../../core/db/numeric.ts';
import { formatReport } from '../../scripts/cli/reconcile.ts';

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

  it('reads a numeric as a number, or past a double\'s digits as its exact digits for JSON', () => {
    // 2^53 cents is 90071992547409.92: beyond it a double no longer holds every cent.
    expect(numeric('12.50')).to.equal(12.5);
    expect(numeric('0.30')).to.equal(0.3);
    expect(numeric('-0.00')).to.equal(-0);
    expect(numeric('90071992547409.92')).to.equal(90071992547409.92); // a double that prints these digits
    for (const text of ['90999999999999.09', '-181999999999998.18', '12345678901234567890']) {
      expect(isRawNumber(numeric(text)), text).to.equal(true);
      expect(JSON.stringify({ amount: numeric(text) })).to.equal(`{"amount":${text}}`);
    }
    expect(JSON.stringify(numeric('90999999999999.10'))).to.equal('90999999999999.1');
    // Not money: as close as a double gets, as before.
    expect(numeric('0.33333333333333333333')).to.equal(1 / 3);
    expect(() => (numeric('90999999999999.09') as unknown as number) + 1).to.throw(TypeError);
    // Whatever it became, its JSON (and its text) is the exact decimal; a number wherever a double holds it.
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (c) => {
      const value = numeric(centsToText(c));
      return toCents(JSON.stringify(value)) === c && toCents(numericText(value)) === c && isRawNumber(value) === (centsToText(c).length > 15 && toCents(String(Number(centsToText(c)))) !== c);
    }));
  });

  it('adds money of any size in cents, and writes the sums as JSON and as two decimals (tenx reconcile)', () => {
    const sum = moneyOf(centsOf(numeric('90999999999999.09')) + centsOf(0.01));
    expect(JSON.stringify(sum)).to.equal('90999999999999.1');
    expect(moneyOf(centsOf(0.1) + centsOf(0.2))).to.equal(0.3);
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (c) => centsOf(moneyOf(c)) === c));
    // `tenx reconcile` reads the database itself and prints the sums with two decimals, every cent kept.
    const totals = { clicks: 1, qualifiedClicks: 1, conversions: 2, verifiedConversions: 2, valueByCurrency: { EUR: 12.5, USD: numeric('90999999999999.09') } };
    const report = formatReport({
      handle: 'h', ok: true, checkedAt: '2026-12-04T00:00:00.000Z', funnel: totals, export: { ...totals, rows: 1, convertedRows: 1, mixedCurrencyRows: 0 },
      raw: { ...totals, clicksOutsideCampaigns: 0, conversionsWithoutClick: 0 }, rollups: totals, clicksKeptFrom: null, mismatches: [], notes: [],
    });
    expect(report).to.include('12.50 EUR, 90999999999999.09 USD');
    expect(report).to.include('h: all views agree (checked ');
    // A note explains an export row that differs: the verdict says so, not that the four views agree outright (a journey pass).
    const noted = formatReport({
      handle: 'h', ok: true, checkedAt: '2026-12-04T00:00:00.000Z', funnel: totals, export: { ...totals, rows: 1, convertedRows: 1, mixedCurrencyRows: 0 },
      raw: { ...totals, clicksOutsideCampaigns: 0, conversionsWithoutClick: 1 }, rollups: totals, clicksKeptFrom: null, mismatches: [], notes: ['1 conversion(s) have no stored click'],
    });
    expect(noted).to.include('h: all views agree, the export as the notes below explain (checked ').and.include('note: 1 conversion(s) have no stored click');
  });

  it('parses jsonb text with the same exact numbers', () => {
    const text = '{"amount": 181999999999998.18, "count": 92, "nested": [{"v": 0.1}], "id": "1234567890123456789"}';
    expect(JSON.stringify(parseExactJson(text))).to.equal('{"amount":181999999999998.18,"count":92,"nested":[{"v":0.1}],"id":"1234567890123456789"}');
    expect(parseExactJson('{"a": 12.5}')).to.deep.equal({ a: 12.5 });
  });
});
