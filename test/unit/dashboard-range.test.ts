import { expect } from 'chai';
import { bucketLabel, customRangeError, fillBuckets, parseRange, rangeSearch, rangeWindow, searchWith } from '../../core/dashboard/public/js/range.js';

// The dashboard's date ranges (issue 16): what the URL says, which API window that is, and the
// chart's buckets. `now` is fixed: 2026-12-02 21:37:12 UTC.
const NOW = Date.parse('2026-12-02T21:37:12Z');

describe('dashboard date ranges', () => {
  it('reads presets and custom days from the URL, and anything else as the default (all time)', () => {
    expect(parseRange('?range=24h')).to.deep.equal({ id: '24h' });
    expect(parseRange(new URLSearchParams('range=90d'))).to.deep.equal({ id: '90d' });
    expect(parseRange('?from=2026-11-01&to=2026-11-30')).to.deep.equal({ id: 'custom', from: '2026-11-01', to: '2026-11-30' });
    for (const bad of ['', '?range=1y', '?from=2026-11-30&to=2026-11-01', '?from=2026-02-30&to=2026-03-01', '?from=2026-11-01', '?from=yesterday&to=today']) {
      expect(parseRange(bad), bad).to.deep.equal({ id: 'all' });
    }
  });

  it('writes a range back to the URL so that reading it gives the same range', () => {
    for (const r of [{ id: '24h' }, { id: '7d' }, { id: 'custom', from: '2026-11-01', to: '2026-11-30' }, { id: 'all' }]) {
      expect(parseRange(rangeSearch(r))).to.deep.equal(r);
    }
    expect(rangeSearch({ id: 'all' })).to.equal('');
    expect(rangeSearch({ id: 'custom', from: '2026-11-01', to: '2026-11-02' })).to.equal('?from=2026-11-01&to=2026-11-02');
  });

  it('turns a range into the API window: 24 h by hour, day presets from a UTC midnight, custom days with `to` exclusive', () => {
    expect(rangeWindow({ id: '24h' }, NOW)).to.include({ from: '2026-12-01T22:00:00.000Z', grain: 'hour' }).and.not.have.property('to');
    expect(rangeWindow({ id: '7d' }, NOW)).to.include({ from: '2026-11-26T00:00:00.000Z', grain: 'day' });
    expect(rangeWindow({ id: '90d' }, NOW).from).to.equal('2026-09-04T00:00:00.000Z');
    expect(rangeWindow({ id: 'all' }, NOW)).to.deep.equal({ grain: 'day', label: 'all time, UTC' });
    expect(rangeWindow({ id: 'custom', from: '2026-11-01', to: '2026-11-30' }, NOW))
      .to.include({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', grain: 'day' });
    // Up to two days are plotted by hour.
    expect(rangeWindow({ id: 'custom', from: '2026-11-29', to: '2026-11-30' }, NOW).grain).to.equal('hour');
    expect(rangeWindow({ id: 'custom', from: '2026-11-28', to: '2026-11-30' }, NOW).grain).to.equal('day');
  });

  it('explains a custom range it cannot show', () => {
    expect(customRangeError('', '2026-11-30')).to.equal('Choose a start date.');
    expect(customRangeError('2026-11-30', '2026-11-01')).to.include('must not be after');
    expect(customRangeError('2026-11-30', '2026-11-30')).to.equal(null);
  });

  it('fills 24 hourly buckets for the last 24 hours, rows on their hour, the current hour last', () => {
    const win = rangeWindow({ id: '24h' }, NOW);
    const buckets = fillBuckets([{ key: '2026-12-02T21:00:00Z', clicks: 3, qualifiedClicks: 2, conversions: 1 }, { key: '2026-12-01T22:00:00Z', clicks: 1 }], win, NOW);
    expect(buckets).to.have.length(24);
    expect(buckets[0]).to.deep.equal({ key: '2026-12-01T22:00:00Z', clicks: 1, qualifiedClicks: 0, conversions: 0 });
    expect(buckets[23]).to.deep.equal({ key: '2026-12-02T21:00:00Z', clicks: 3, qualifiedClicks: 2, conversions: 1 });
    expect(bucketLabel(buckets[23].key, 'hour')).to.equal('21:00');
  });

  it('plots all time over its whole span, by day, from the first day with data to today', () => {
    const win = rangeWindow({ id: 'all' }, NOW);
    const buckets = fillBuckets([{ key: '2025-10-30', clicks: 5 }, { key: '2026-12-01', clicks: 2 }], win, NOW);
    expect(buckets[0].key).to.equal('2025-10-30');
    expect(buckets[buckets.length - 1].key).to.equal('2026-12-02');
    expect(buckets).to.have.length(399); // 2025-10-30 … 2026-12-02, not the last 30 days
    expect(bucketLabel('2025-10-30', 'day', true)).to.equal('2025-10-30');
    expect(fillBuckets([], win, NOW)).to.have.length(7); // nothing yet: an empty week, not one bar
  });

  it('fills a custom range day by day, ending on its last day', () => {
    const buckets = fillBuckets([{ key: '2026-11-03', clicks: 4 }], rangeWindow({ id: 'custom', from: '2026-11-01', to: '2026-11-07' }, NOW), NOW);
    expect(buckets.map((b) => b.key)).to.deep.equal(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07']);
    expect(buckets[2].clicks).to.equal(4);
  });
});

describe("a page's own choices beside the range in its URL", () => {
  it('adds what is chosen, leaves out what is not, and keeps the range readable', () => {
    expect(searchWith({ id: 'all' }, { campaignId: '' })).to.equal('');
    expect(searchWith({ id: 'all' }, { campaignId: 'alpha' })).to.equal('?campaignId=alpha');
    expect(searchWith({ id: '7d' }, { slot: 'sub3', campaignId: 'alpha' })).to.equal('?range=7d&slot=sub3&campaignId=alpha');
    const custom = searchWith({ id: 'custom', from: '2026-12-01', to: '2026-12-03' }, { campaignId: 'a b' });
    expect(parseRange(custom)).to.deep.equal({ id: 'custom', from: '2026-12-01', to: '2026-12-03' });
    expect(new URLSearchParams(custom).get('campaignId')).to.equal('a b');
  });
});
