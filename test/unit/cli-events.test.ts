import { expect } from 'chai';
import { formatEvent } from '../../scripts/cli/events.ts';

// `tenx events tail`: one line per funnel row the stream pushes. A CLI pass read "revenue=1101.50": no currency, and a
// campaign's 130.50 EUR gone.
describe('tenx events tail: a funnel row as a line', () => {
  const row = { campaignId: 'gamma', clicks: 40, qualifiedClicks: 30, botRatio: 0.25, conversions: 13, revenue: 1101.5, revenueByCurrency: { USD: 1101.5, EUR: 130.5 }, confidence: 70 };

  it('names every currency of its revenue', () => {
    const [line] = formatEvent({ event: 'funnel', data: JSON.stringify({ data: [row] }) } as Parameters<typeof formatEvent>[0]);
    expect(line).to.match(/ gamma {2}clicks=40 qualified=30 bots=25\.0% conversions=13 revenue=1101\.50 USD \+ 130\.50 EUR confidence=70$/);
  });

  it('keeps a bare number for a row without revenueByCurrency, and the --campaign filter', () => {
    const { revenueByCurrency: _, ...bare } = row;
    const [line] = formatEvent({ event: 'funnel', data: JSON.stringify([bare]) } as Parameters<typeof formatEvent>[0]);
    expect(line).to.include('revenue=1101.50 confidence=70');
    expect(formatEvent({ event: 'funnel', data: JSON.stringify([bare]) } as Parameters<typeof formatEvent>[0], 'other')).to.deep.equal([]);
  });
});
