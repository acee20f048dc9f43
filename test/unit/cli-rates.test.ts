import { expect } from 'chai';
import { botShare, conversionShare, percent } from '../../scripts/cli/output.ts';

// Driven by hand (seed-demo, 2026-12-05): `tenx analytics funnel` read the TOTAL's conversion rate as 11.8 % while the
// dashboard read 11.9 %, for 39 conversions of 329 qualified clicks. The CLI formatted the API's rate, already 0.1185.
describe("the CLI funnel table's rates", () => {
  const total = { clicks: 401, qualifiedClicks: 329, conversions: 39, conversionRate: 0.1185, botRatio: 0.1796 };

  it("come from the row's counts, rounded once", () => {
    expect(conversionShare(total)).to.equal('11.9%');
    expect(percent(total.conversionRate), 'the rounded rate the API sends would read').to.equal('11.8%');
    expect(botShare(total)).to.equal('18.0%');
  });

  it('are 0 without clicks or qualified clicks, as API.md defines them', () => {
    expect([botShare({ clicks: 0, qualifiedClicks: 0 }), conversionShare({ qualifiedClicks: 0, conversions: 2 })]).to.deep.equal(['0.0%', '0.0%']);
  });
});
