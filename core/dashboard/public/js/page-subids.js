// The partner's sub-ID breakdown: groupBy=sub1..sub5 over its own clicks, optionally one campaign.

import { api, query } from './api.js';
import { h, clear, errorBox, card } from './dom.js';
import { breakdownTable } from './page-breakdowns.js';

const SLOTS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'];

export async function renderSubIds(ctx) {
  const base = ctx.analyticsPath ?? '/partner/analytics';
  const slot = h('select#subid-slot', { 'aria-label': 'Sub-ID' }, SLOTS.map((s) => h('option', { value: s }, s)));
  const campaign = h('select#subid-campaign', { 'aria-label': 'Campaign' }, h('option', { value: '' }, 'All campaigns'));
  const errors = h('div');
  const body = h('div.breakdown-body');

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Sub-IDs'), h('p.muted', {}, 'Which placement (the sub1…sub5 you put on your links) brings qualified clicks and conversions.')),
      h('div.toolbar', {}, slot, campaign)),
    errors,
    card('By sub-ID', body));

  async function load() {
    clear(body, h('p.muted.small', {}, 'Loading…'));
    try {
      const res = await api(`${base}${query({ groupBy: slot.value, campaignId: campaign.value || undefined })}`);
      clear(body, breakdownTable({ id: 'subid', title: slot.value }, res.data, ctx.currency));
    } catch (err) {
      clear(body, errorBox(err, `Could not load the ${slot.value} breakdown`));
    }
  }

  slot.addEventListener('change', load);
  campaign.addEventListener('change', load);
  try {
    const res = await api(`${base}${query({ funnel: true })}`);
    for (const r of res.data) campaign.append(h('option', { value: r.campaignId }, r.campaignId));
  } catch (err) {
    errors.append(errorBox(err, 'Could not list your campaigns'));
  }
  await load();
}
