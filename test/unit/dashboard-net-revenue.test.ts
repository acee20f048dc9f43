import { expect } from 'chai';
import { netRevenueLine, revenueLines, totalsOf } from '../../core/dashboard/public/js/funnel-table.js';

// A dashboard pass reversed a 43.14 EUR conversion on a USD handle: the row's "Conversions" said "43.14 EUR reversed",
// the funnel still "+ 43.14 EUR" (netRevenue is the reporting currency's alone). netRevenueByCurrency has every currency.
describe("the funnel's revenue lines with reversals in another currency", () => {
  const row = { revenue: 50, revenueByCurrency: { EUR: 50, USD: 43.14 }, netRevenueByCurrency: { EUR: 50, USD: 33.14 } };

  it('follow another currency with its net when reversals took some of it back', () => {
    expect(revenueLines(row, 'EUR')).to.deep.equal(['50.00 EUR', '+ 43.14 USD (net 33.14 USD)']);
    expect(revenueLines({ revenue: 10, revenueByCurrency: { EUR: 10, USD: 3 }, netRevenueByCurrency: { EUR: 10, USD: 3 } }, 'EUR'))
      .to.deep.equal(['10.00 EUR', '+ 3.00 USD']);
  });

  it('follow each currency with its net where the reporting currency is not known (a partner\'s token, say)', () => {
    expect(revenueLines({ revenue: 0, revenueByCurrency: { EUR: 50, USD: 43.14 }, netRevenueByCurrency: { EUR: 50, USD: 33.14 } }))
      .to.deep.equal(['50.00 EUR', '43.14 USD (net 33.14 USD)']);
    // The leading currency's net goes on the line under it, not into the lead (the portal's totals card read
    // "120.00 EUR (net 100.00 EUR)" as its big figure).
    const portal = { revenue: 0, netRevenue: 0, revenueByCurrency: { EUR: 120 }, netRevenueByCurrency: { EUR: 100 } };
    expect(revenueLines(portal)).to.deep.equal(['120.00 EUR']);
    expect(netRevenueLine(portal)).to.equal('net 100.00 EUR');
    expect(netRevenueLine({ ...portal, netRevenueByCurrency: { EUR: 120 } }), 'nothing reversed').to.equal(null);
  });

  it('list a currency whose only money in the range is a reversal (of an older conversion): its net is negative', () => {
    expect(revenueLines({ revenue: 0, revenueByCurrency: {}, netRevenueByCurrency: { USD: -5 } }, 'EUR')).to.deep.equal(['0.00 EUR', '+ 0.00 USD (net -5.00 USD)']);
    // Where no currency is known to lead (a partner's portal) as well: with two revenue currencies it was left out.
    const portal = { revenue: 0, netRevenue: 0, revenueByCurrency: { EUR: 10, GBP: 7 }, netRevenueByCurrency: { EUR: 10, GBP: 7, USD: -5 } };
    expect(revenueLines(portal)).to.deep.equal(['10.00 EUR', '7.00 GBP', '0.00 USD (net -5.00 USD)']);
    expect(netRevenueLine(portal), 'the lead lost nothing').to.equal(null);
    // Only a reversal in the range: it leads, its net under it.
    const only = { revenue: 0, netRevenue: 0, revenueByCurrency: {}, netRevenueByCurrency: { USD: -5 } };
    expect(revenueLines(only)).to.deep.equal(['0.00 USD']);
    expect(netRevenueLine(only)).to.equal('net -5.00 USD');
  });

  it('sum every currency\'s net and the reversals into the totals, a row without netRevenueByCurrency counting its revenue', () => {
    const t = totalsOf([
      { clicks: 1, qualifiedClicks: 1, conversions: 1, ...row, reversals: 1 },
      { clicks: 1, qualifiedClicks: 1, conversions: 1, revenue: 1, revenueByCurrency: { EUR: 1, USD: 1 } },
    ] as never) as unknown as Record<string, unknown>;
    expect(t).to.deep.include({ reversals: 1, revenueByCurrency: { EUR: 51, USD: 44.14 }, netRevenueByCurrency: { EUR: 51, USD: 34.14 } });
  });
});
