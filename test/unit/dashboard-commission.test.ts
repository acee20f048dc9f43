import { expect } from 'chai';
import { commissionLines } from '../../core/dashboard/public/js/funnel-table.js';

// A user pass: the portal's Commission column listed EUR before USD while Revenue beside it puts the reporting
// currency first; a partner is not told the reporting currency, so it is the one revenue's amount names.
describe("the portal funnel's commission cell", () => {
  const row = { revenue: 10, revenueByCurrency: { EUR: 5, USD: 10 }, commission: { EUR: 0.5, USD: 1 } };

  it('puts the reporting currency first, as the revenue cell does', () => {
    expect(commissionLines(row)).to.deep.equal(['1.00 USD', '0.50 EUR']);
    expect(commissionLines(row, 'EUR')).to.deep.equal(['0.50 EUR', '1.00 USD']);
  });

  it('names the currency of a zero commission (the API leaves rejected ones out): the reporting one', () => {
    expect(commissionLines({ revenue: 30, revenueByCurrency: { USD: 30 }, commission: {} })).to.deep.equal(['0.00 USD']);
    expect(commissionLines({ revenue: 0, revenueByCurrency: { EUR: 20 }, commission: {} }, 'USD')).to.deep.equal(['0.00 USD']);
    expect(commissionLines({ revenue: 30, revenueByCurrency: { USD: 30 }, commission: { USD: 0 } })).to.deep.equal(['0.00 USD']);
  });

  it('shows a dash before commissions exist', () => {
    expect(commissionLines({ revenue: 0, commission: null })).to.deep.equal(['—']);
  });
});
