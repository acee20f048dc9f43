// The partner's sub-ID breakdown: groupBy=sub1..sub5 over its own clicks, optionally one campaign,
// over the range in the URL.

import { api, query } from './api.js';
import { h, clear, errorBox, card } from './dom.js';
import { breakdownTable } from './page-breakdowns.js';
import { impliedCurrency } from './funnel-table.js';
import { parseRange, rangeSearch, rangeWindow, searchWith } from './range.js';
import { rangePicker } from './range-picker.js';
import { campaignFilter } from './campaign-filter.js';

const SLOTS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'];

export async function renderSubIds(ctx) {
  const base = ctx.analyticsPath ?? '/partner/analytics';
  // The level and the campaign are kept in the URL with the range: a reload or a shared link shows the same table.
  const askedSlot = SLOTS.includes(ctx.query?.get('slot') ?? '') ? ctx.query.get('slot') : 'sub1';
  const slot = h('select#subid-slot', { 'aria-label': 'Sub-ID' }, SLOTS.map((s) => h('option', { value: s, selected: s === askedSlot }, s)));
  const campaigns = campaignFilter('subid-campaign', ctx.query?.get('campaignId') ?? '');
  const campaign = campaigns.el;
  let range = parseRange(ctx.query);
  const keep = () => ctx.setQuery?.(searchWith(range, { slot: slot.value === 'sub1' ? '' : slot.value, campaignId: campaign.value }), rangeSearch(range));
  const picker = rangePicker(range, (next) => {
    range = next;
    keep();
    void load();
  });
  const errors = h('div');
  const body = h('div.breakdown-body');

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Sub-IDs'), h('p.muted', {}, 'Which placement (the sub1…sub5 you put on your links) brings qualified clicks and conversions.')),
      h('div.toolbar', {}, slot, campaign)),
    picker.el, errors,
    card('By sub-ID', body));

  // The portal is not told the reporting currency: the funnel's totals imply it (a placement that
  // earned nothing then says "0.00 USD", not a bare "0.00").
  let currency = ctx.currency;
  let seq = 0;
  async function load() {
    const mine = ++seq;
    clear(body, h('p.muted.small', {}, 'Loading…'));
    const { from, to } = rangeWindow(range);
    let content;
    try {
      const res = await api(`${base}${query({ groupBy: slot.value, campaignId: campaign.value || undefined, from, to })}`);
      content = breakdownTable({ id: 'subid', title: slot.value }, res.data, currency);
    } catch (err) {
      content = errorBox(err, `Could not load the ${slot.value} breakdown`);
    }
    if (mine === seq) clear(body, content);
  }

  for (const select of [slot, campaign]) {
    select.addEventListener('change', () => {
      keep();
      void load();
    });
  }
  try {
    const res = await api(`${base}${query({ funnel: true })}`);
    currency ||= impliedCurrency(res.totals);
    campaigns.add(res.data.map((r) => r.campaignId));
  } catch (err) {
    errors.append(errorBox(err, 'Could not list your campaigns'));
  }
  await load();
}
