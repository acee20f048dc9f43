// Breakdowns: where clicks come from (country), who they are (segment) and which channel sent
// them (referrer), for all campaigns or one partner.

import { api, query } from './api.js';
import { h, clear, errorBox, fmt, emptyRow } from './dom.js';
import { revenueCell } from './funnel-table.js';

const DIMENSIONS = [
  { id: 'country', title: 'Country', hint: 'Edge header or GeoIP; ZZ = unknown' },
  { id: 'segment', title: 'Segment', hint: 'Device class or the preset\'s segment' },
  { id: 'referrer', title: 'Referrer', hint: 'src, utm_source or the Referer\'s channel' },
];
const RANGES = [[null, 'All time'], [7, 'Last 7 days'], [30, 'Last 30 days'], [90, 'Last 90 days']];

export async function renderBreakdowns(ctx) {
  const base = ctx.analyticsPath ?? '/analytics';
  const campaign = h('select#breakdown-campaign', { 'aria-label': 'Campaign' }, h('option', { value: '' }, 'All campaigns'));
  const range = h('select#breakdown-range', { 'aria-label': 'Range' }, RANGES.map(([d, label]) => h('option', { value: d ?? '' }, label)));
  const refresh = h('button.btn', { type: 'button' }, 'Refresh');
  const errors = h('div');
  const grid = h('div.breakdowns');

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Breakdowns'), h('p.muted', {}, 'Does bot traffic or a channel concentrate somewhere? Compare qualified clicks and conversions.')),
      h('div.toolbar', {}, campaign, range, refresh)),
    errors, grid);

  const sections = DIMENSIONS.map((d) => {
    const body = h('div.breakdown-body');
    grid.append(h('section.card', { dataset: { dimension: d.id } }, h('h2.card-title', {}, `By ${d.title.toLowerCase()}`), h('p.muted.small', {}, d.hint), body));
    return { ...d, body };
  });

  async function loadCampaignOptions() {
    // The funnel lists every campaign with analytics.read alone; campaigns.read is not needed.
    const res = await api(`${base}${query({ funnel: true })}`);
    for (const r of res.data) campaign.append(h('option', { value: r.campaignId }, r.campaignId));
  }

  async function load() {
    clear(errors);
    const from = range.value ? new Date(Date.now() - Number(range.value) * 86_400_000).toISOString() : undefined;
    await Promise.all(sections.map(async (s) => {
      clear(s.body, h('p.muted.small', {}, 'Loading…'));
      try {
        const res = await api(`${base}${query({ groupBy: s.id, campaignId: campaign.value || undefined, from })}`);
        clear(s.body, breakdownTable(s, res.data, ctx.currency));
      } catch (err) {
        clear(s.body, errorBox(err, `Could not load the ${s.title.toLowerCase()} breakdown`));
      }
    }));
  }

  campaign.addEventListener('change', load);
  range.addEventListener('change', load);
  refresh.addEventListener('click', load);
  await Promise.all([
    loadCampaignOptions().catch((err) => errors.append(errorBox(err, 'Could not list campaigns for the filter'))),
    load(),
  ]);
}

export function breakdownTable(dimension, rows, currency) {
  const sorted = [...rows].sort((a, b) => b.clicks - a.clicks || String(a.key).localeCompare(String(b.key)));
  const total = sorted.reduce((n, r) => n + r.clicks, 0) || 1;
  const tbody = h('tbody', {}, sorted.length ? sorted.map((r) => {
    const bots = r.clicks - r.qualifiedClicks;
    const share = h('span.share-bar');
    share.style.width = `${Math.round((r.clicks / total) * 100)}%`; // CSSOM, allowed by the CSP (no inline style attribute)
    return h(`tr${r.clicks && bots / r.clicks > 0.4 ? '.low-confidence' : ''}`, { dataset: { key: r.key } },
      h('td', {}, h('div.strong', {}, r.key === null || r.key === '' ? '(none)' : String(r.key)), h('div.share', {}, share)),
      h('td.num', {}, fmt.int(r.clicks)),
      h('td.num', {}, fmt.int(r.qualifiedClicks)),
      h('td.num', {}, r.clicks ? fmt.pct(bots / r.clicks) : '—'),
      h('td.num', {}, fmt.int(r.conversions)),
      revenueCell(r, currency),
      h('td.num', {}, r.qualifiedClicks ? fmt.pct(r.conversions / r.qualifiedClicks) : '—'));
  }) : emptyRow(7, 'No clicks in this range.'));
  return h('div.table-wrap', {}, h('table.table', { id: `breakdown-${dimension.id}` },
    h('thead', {}, h('tr', {}, h('th', {}, dimension.title), ['Clicks', 'Qualified', 'Bots', 'Conv.', 'Revenue', 'Conv. rate'].map((t) => h('th.num', {}, t)))),
    tbody));
}
