// The funnel table: one row per campaign, updated in place when the live stream pushes a row.

import { h, clear, fmt, badge, emptyRow } from './dom.js';

export const LOW_CONFIDENCE = 50;

// The API sends reason codes; these are the sentences a network manager reads (API.md "Analytics").
const REASONS = {
  bot_ratio_20_40: 'Bot ratio 20–40%: some bot noise (−15)',
  bot_ratio_over_40: 'Bot ratio over 40%: likely fraudulent (−30)',
  conversions_exceed_qualified_clicks: 'More conversions than qualified clicks (−25)',
  stale_data: 'Active but no click for over 7 days (−10)',
  low_volume: 'Fewer than 30 clicks: too little data (−10)',
};

export const reasonText = (r) => (typeof r === 'string' ? REASONS[r] ?? r : r?.message ?? REASONS[r?.code] ?? r?.code ?? String(r));

export function confidenceCell(row) {
  const score = row.confidence;
  const tone = typeof score !== 'number' ? 'neutral' : score < LOW_CONFIDENCE ? 'bad' : score < 80 ? 'warn' : 'good';
  const reasons = row.confidenceReasons ?? [];
  return h('div.confidence', {},
    badge(typeof score === 'number' ? String(score) : '—', tone, reasons.length ? reasons.map(reasonText).join('\n') : 'No penalty'),
    score < LOW_CONFIDENCE ? h('span.investigate.small', {}, 'Investigate before paying out') : null,
    reasons.length ? h('ul.reasons.small', {}, reasons.map((r) => h('li', {}, reasonText(r)))) : null);
}

const METRICS = ['clicks', 'qualifiedClicks', 'conversions', 'revenue', 'confidence'];
const COLUMNS = ['Campaign', 'Clicks', 'Qualified', 'Conversions', 'Revenue', 'Conv. rate', 'Bot ratio', 'Confidence', 'Last click'];

function cells(row, currency) {
  return [
    h('td.nowrap', {}, h('span.strong', {}, row.campaignId)),
    h('td.num', { dataset: { col: 'clicks' } }, fmt.int(row.clicks)),
    h('td.num', { dataset: { col: 'qualifiedClicks' } }, fmt.int(row.qualifiedClicks)),
    h('td.num', { dataset: { col: 'conversions' } }, fmt.int(row.conversions)),
    h('td.num', { dataset: { col: 'revenue' } }, fmt.money(row.revenue, currency)),
    h('td.num', { dataset: { col: 'conversionRate' } }, fmt.pct(row.conversionRate)),
    h('td.num', { dataset: { col: 'botRatio' } }, fmt.pct(row.botRatio)),
    h('td', { dataset: { col: 'confidence' } }, confidenceCell(row)),
    h('td.small', { dataset: { col: 'lastClickAt' }, title: row.lastClickAt ? fmt.time(row.lastClickAt) : undefined }, fmt.ago(row.lastClickAt)),
  ];
}

/** Builds the table; `upsert(rows, {flash})` replaces or adds rows by campaignId. */
export function funnelTable(currency) {
  const tbody = h('tbody');
  const table = h('table.table.funnel#funnel-table', {}, h('thead', {}, h('tr', {}, COLUMNS.map((c, i) => h(i >= 1 && i <= 6 ? 'th.num' : 'th', {}, c)))), tbody);
  const rows = new Map();

  function render(row, flash) {
    const tr = h(`tr${row.confidence < LOW_CONFIDENCE ? '.low-confidence' : ''}`, { dataset: { campaignId: row.campaignId } }, cells(row, currency));
    const before = rows.get(row.campaignId);
    if (before) before.tr.replaceWith(tr);
    else tbody.append(tr);
    if (flash && (!before || METRICS.some((m) => before.row[m] !== row[m]))) {
      tr.classList.add('flash');
      setTimeout(() => tr.classList.remove('flash'), 1600);
    }
    rows.set(row.campaignId, { row, tr });
  }

  return {
    el: h('div.table-wrap', {}, table),
    set(list) {
      clear(tbody);
      rows.clear();
      for (const r of list) render(r, false);
      if (!list.length) tbody.append(emptyRow(COLUMNS.length, 'No campaign has data in this range yet.'));
    },
    upsert(list, { flash = true } = {}) {
      tbody.querySelector('tr.empty')?.remove();
      for (const r of list) render({ ...rows.get(r.campaignId)?.row, ...r }, flash);
    },
    rows: () => [...rows.values()].map((v) => v.row),
  };
}

/** Totals recomputed from rows with the contract's formulas (used after live updates). */
export function totalsOf(rows) {
  const t = rows.reduce((a, r) => ({
    clicks: a.clicks + (r.clicks ?? 0),
    qualifiedClicks: a.qualifiedClicks + (r.qualifiedClicks ?? 0),
    conversions: a.conversions + (r.conversions ?? 0),
    revenue: a.revenue + (r.revenue ?? 0),
  }), { clicks: 0, qualifiedClicks: 0, conversions: 0, revenue: 0 });
  t.conversionRate = t.qualifiedClicks ? t.conversions / t.qualifiedClicks : 0;
  t.botRatio = t.clicks ? (t.clicks - t.qualifiedClicks) / t.clicks : 0;
  return t;
}

export function totalsCards(t, currency) {
  const stat = (label, value, id) => h('div.stat', { dataset: { stat: id } }, h('div.stat-label', {}, label), h('div.stat-value', {}, value));
  return [
    stat('Clicks', fmt.int(t.clicks), 'clicks'),
    stat('Qualified clicks', fmt.int(t.qualifiedClicks), 'qualifiedClicks'),
    stat('Conversions', fmt.int(t.conversions), 'conversions'),
    stat('Revenue', fmt.money(t.revenue, currency), 'revenue'),
    stat('Conversion rate', fmt.pct(t.conversionRate), 'conversionRate'),
    stat('Bot ratio', fmt.pct(t.botRatio), 'botRatio'),
  ];
}
