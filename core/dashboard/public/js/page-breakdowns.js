// Breakdowns: where clicks come from (country), who they are (segment, browser, OS) and which
// channel sent them (referrer), for all campaigns or one, over the range in the URL.

import { api, query } from './api.js';
import { h, idClass, clear, errorBox, fmt, emptyRow } from './dom.js';
import { revenueCell } from './funnel-table.js';
import { parseRange, rangeSearch, rangeWindow, searchWith } from './range.js';
import { rangePicker } from './range-picker.js';
import { campaignFilter } from './campaign-filter.js';
import { partnerFilter } from './partner-field.js';

// `optional`: a breakdown a server may not offer yet; its 400 on groupBy says so instead of an error.
const DIMENSIONS = [
  { id: 'country', title: 'Country', noun: 'country', hint: 'Edge header or GeoIP; ZZ = unknown' },
  { id: 'segment', title: 'Segment', noun: 'segment', hint: 'Device class or the preset\'s segment' },
  { id: 'referrer', title: 'Referrer', noun: 'referrer', hint: 'src, utm_source or the Referer\'s channel' },
  { id: 'browser', title: 'Browser', noun: 'browser', hint: 'From the click\'s user agent', optional: true },
  { id: 'os', title: 'OS', noun: 'OS', hint: 'Operating system, from the click\'s user agent', optional: true },
];

/** A 400 naming the groupBy parameter: this server does not know the breakdown. */
const unknownGroupBy = (err) => err?.status === 400 && (err.details ?? []).some((d) => d.pointer === '/query/groupBy');

export async function renderBreakdowns(ctx) {
  const base = ctx.analyticsPath ?? '/analytics';
  // The campaign is kept in the URL with the range: a reload or a shared link shows the same breakdowns.
  const campaigns = campaignFilter('breakdown-campaign', ctx.query?.get('campaignId') ?? '');
  const campaign = campaigns.el;
  // One partner's breakdowns, as on the Funnel (a dashboard pass found the filter only there).
  const partner = await partnerFilter(ctx, 'breakdown-partner');
  let range = parseRange(ctx.query);
  const keep = () => ctx.setQuery?.(searchWith(range, { campaignId: campaign.value, partnerId: partner?.value || undefined }), rangeSearch(range));
  const picker = rangePicker(range, (next) => {
    range = next;
    keep();
    void load();
  });
  const refresh = h('button.btn', { type: 'button' }, 'Refresh');
  const errors = h('div');
  const grid = h('div.breakdowns');

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Breakdowns'), h('p.muted', {}, 'Does bot traffic or a channel concentrate somewhere? Compare qualified clicks and conversions.')),
      h('div.toolbar', {}, partner ? [h('label.muted.small', { for: 'breakdown-partner' }, 'Partner'), partner] : null, campaign, refresh)),
    picker.el, errors, grid);

  const sections = DIMENSIONS.map((d) => {
    const body = h('div.breakdown-body');
    grid.append(h('section.card', { dataset: { dimension: d.id } }, h('h2.card-title', {}, `By ${d.noun}`), h('p.muted.small', {}, d.hint), body));
    return { ...d, body };
  });

  async function loadCampaignOptions() {
    // The funnel lists every campaign with analytics.read alone; campaigns.read is not needed.
    const res = await api(`${base}${query({ funnel: true })}`);
    campaigns.add(res.data.map((r) => r.campaignId));
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    clear(errors);
    const { from, to } = rangeWindow(range);
    await Promise.all(sections.map(async (s) => {
      clear(s.body, h('p.muted.small', {}, 'Loading…'));
      let content;
      try {
        const res = await api(`${base}${query({ groupBy: s.id, campaignId: campaign.value || undefined, partnerId: partner?.value || undefined, from, to })}`);
        content = breakdownTable(s, res.data, ctx.currency);
      } catch (err) {
        content = s.optional && unknownGroupBy(err)
          ? h('p.muted.small.unsupported', { dataset: { unsupported: s.id } }, `This server does not break clicks down by ${s.noun} yet (groupBy=${s.id}).`)
          : errorBox(err, `Could not load the ${s.noun} breakdown`);
      }
      if (mine === seq) clear(s.body, content); // a newer range or campaign has taken over otherwise
    }));
  }

  for (const select of [campaign, partner].filter(Boolean)) {
    select.addEventListener('change', () => {
      keep();
      void load();
    });
  }
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
      // A key can be long without a space (a sub-ID of 100 characters): it breaks rather than push the numbers out of view.
      h('td', {}, h(`div.strong${idClass(r.key, '')}`, {}, r.key === null || r.key === '' ? '(none)' : String(r.key)), h('div.share', {}, share)),
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
