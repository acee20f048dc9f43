import { expect } from 'chai';
import { cardTotals, rates, totalsOf } from '../../core/dashboard/public/js/funnel-table.js';

// The dashboard's `fmt.pct` (dom.js), in the locale its browser tests use.
const pct = (n: number) => new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(n);

// Driven by hand (seed-demo): partner-alpha's row read "4.4%" bots under a totals card of "4.3%", the same 10 bots in
// 230 clicks. The row formatted the API's botRatio, already rounded to 0.0435; the card divided the counts.
describe("the funnel table's rates", () => {
  const alpha = { clicks: 230, qualifiedClicks: 220, conversions: 25, conversionRate: 0.1136, botRatio: 0.0435 };

  it("come from the row's counts, so a row and the totals of that row read the same", () => {
    expect(pct(rates(alpha).botRatio)).to.equal('4.3%');
    expect(pct(alpha.botRatio), 'the rounded rate the API sends would read').to.equal('4.4%');
    expect(rates(alpha)).to.deep.equal({ conversionRate: 25 / 220, botRatio: 10 / 230 });
    const totals = totalsOf([alpha]);
    expect([pct(totals.botRatio), pct(totals.conversionRate)]).to.deep.equal(['4.3%', '11.4%']);
  });

  it('are 0 without clicks or qualified clicks, as API.md defines them', () => {
    expect(rates({ clicks: 0, qualifiedClicks: 0, conversions: 0 })).to.deep.equal({ conversionRate: 0, botRatio: 0 });
    expect(rates({ clicks: 3, qualifiedClicks: 0, conversions: 1 })).to.deep.equal({ conversionRate: 0, botRatio: 1 });
  });

  it("on the totals cards too: the API's totals give the counts, never their rounded rates (a UI pass: 12.2 % over 12.1 %)", () => {
    const row = { clicks: 230, qualifiedClicks: 214, conversions: 26, conversionRate: 0.1215, botRatio: 0.0696 };
    const apiTotals = { clicks: 230, qualifiedClicks: 214, conversions: 26, conversionRate: 0.1215, botRatio: 0.0696 };
    expect(pct(apiTotals.conversionRate), 'the rounded rate the API sends would read').to.equal('12.2%');
    const t = cardTotals([row], apiTotals);
    expect([pct(t.conversionRate), pct(rates(row).conversionRate)]).to.deep.equal(['12.1%', '12.1%']);
    expect(t).to.include({ clicks: 230, qualifiedClicks: 214, conversions: 26, conversionRate: 26 / 214, botRatio: 16 / 230 });
    // Live updates send no totals: the rows' own.
    expect(cardTotals([row], null).conversionRate).to.equal(26 / 214);
  });
});
