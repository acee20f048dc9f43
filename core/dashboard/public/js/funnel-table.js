// The funnel table: one row per campaign, updated in place when the live stream pushes a row.

import { h, idClass, clear, fmt, badge, emptyRow } from './dom.js';

export const LOW_CONFIDENCE = 50;

// The API sends reason codes; these are the sentences a network manager reads (core/analytics/confidence.ts).
const REASONS = {
  bot_ratio_20_40: 'Bot ratio 20–40%: some bot noise (−15)',
  bot_ratio_over_40: 'Bot ratio over 40%: likely fraudulent (−30)',
  conversions_exceed_qualified_clicks: 'More conversions than qualified clicks (−25)',
  implausible_conversions_per_click: 'Over 3 conversions per qualified click (or over 3 without any): likely posted without visits (within the −25 above)',
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

const METRICS = ['clicks', 'qualifiedClicks', 'conversions', 'verifiedConversions', 'revenue', 'netRevenue', 'confidence'];
const VERIFIED_HINT = 'Conversions whose click was not a bot: commissions are paid on these.';
const UNAUTHENTICATED_HINT = "Posted with the ctx alone, without the merchant's token. Where the handle flags such conversions (publicConversions: flag, the default) they are never verified and their commissions never approve automatically.";

/** "2 ctx only" (no merchant token) under a conversions count (API.md v2.1: unauthenticatedConversions), or null for none. */
function unauthenticatedLine(row, tag = 'div.small.unauthenticated') {
  const n = row.unauthenticatedConversions;
  return n ? h(tag, { title: UNAUTHENTICATED_HINT, dataset: { extra: 'unauthenticated' } }, `${fmt.int(n)} ctx only`) : null;
}
const COLUMNS = [
  { title: 'Campaign' },
  { title: 'Clicks', num: true },
  { title: 'Qualified', num: true },
  { title: 'Conv.', num: true, hint: 'Conversions' },
  { title: 'Verified', num: true, hint: VERIFIED_HINT },
  { title: 'Revenue', num: true },
  { title: 'Conv. rate', num: true },
  { title: 'Bot ratio', num: true },
  { title: 'Confidence' },
  { title: 'Last click' },
];

/**
 * The reporting currency a funnel row or totals imply, for who is not told it (a partner token; or when the
 * handle could not be read): `revenue` is that currency's sum, so it is the one currency with
 * exactly that amount; '' when none or several are.
 */
export function impliedCurrency(row) {
  const matches = Object.entries(row?.revenueByCurrency ?? {}).filter(([, v]) => v === row.revenue);
  return matches.length === 1 ? matches[0][0] : '';
}

/** A row's revenue in one currency; 0 where it has none (a currency with reversals only). */
const revenueIn = (row, currency) => row.revenueByCurrency?.[currency] ?? 0;

/**
 * The currencies a row has money in: its revenue's, then any whose only money in the range is a reversal (of an older
 * conversion; its net is negative), so that no refund goes unshown whichever currency leads.
 */
const currenciesOf = (row) => [...new Set([...Object.keys(row.revenueByCurrency ?? {}), ...Object.keys(row.netRevenueByCurrency ?? {})])];

/**
 * Revenue as lines of text: the reporting currency first, then every other currency as "+ 508.90 EUR".
 * The API never converts (no FX source), so other currencies are shown beside it, never added in.
 */
export function revenueLines(row, currency) {
  if (!currency) {
    const implied = impliedCurrency(row);
    if (implied) return revenueLines(row, implied);
    // The first currency leads (its net goes under it: netRevenueLine), each other one carries its own.
    const shown = currenciesOf(row);
    return shown.length ? shown.map((c, i) => {
      const value = revenueIn(row, c);
      return i ? `${fmt.money(value, c)}${netNote(row, c, value)}` : fmt.money(value, c);
    }) : [fmt.money(row.revenue, '')];
  }
  const shown = currenciesOf(row).sort();
  const others = shown.filter((c) => c !== currency).map((c) => {
    const value = revenueIn(row, c);
    return `+ ${fmt.money(value, c)}${netNote(row, c, value)}`;
  });
  return [fmt.money(row.revenue, currency), ...others];
}

/**
 * " (net 33.14 USD)" after another currency's revenue when reversals took some of it back (netRevenueByCurrency): a
 * refund in another currency than the reporting one showed nowhere but in the reversal count.
 */
function netNote(row, currency, value) {
  const net = row.netRevenueByCurrency?.[currency];
  return typeof net === 'number' && net !== value ? ` (net ${fmt.money(net, currency)})` : '';
}

const otherCurrencyHint = (currency) => `Not converted into ${currency || 'the reporting currency'}: there is no exchange rate.`;

const REVERSALS_HINT = 'Refunds and chargebacks recorded in the range (a conversion reversed in parts counts each part).';

const NET_HINT = 'Net revenue: revenue minus what refunds and chargebacks reversed, in the reporting currency.';

/**
 * A funnel row's netRevenue (API.md v2.1: revenue minus the value reversed, the reporting currency only) as
 * "net 90.00 USD", or null where nothing was reversed (it equals revenue) or the row has none (a breakdown).
 * A line under revenue, not a column: the portal's funnel, with its commission column, fits 1280 pixels no more.
 */
export function netRevenueLine(row, currency) {
  if (typeof row.netRevenue !== 'number') return null;
  const shown = currency || impliedCurrency(row);
  if (!shown) {
    // No reporting currency to lead (a partner's portal): the first currency does, as in revenueLines, and its net is here
    // (inside the lead line, it made the totals card's big figure "120.00 EUR (net 100.00 EUR)").
    const [lead] = currenciesOf(row);
    const value = revenueIn(row, lead);
    const net = lead && row.netRevenueByCurrency?.[lead];
    return typeof net === 'number' && net !== value ? `net ${fmt.money(net, lead)}` : null;
  }
  if (row.netRevenue === row.revenue) return null;
  return `net ${fmt.money(row.netRevenue, shown)}`;
}

/** The revenue cell of a funnel or breakdown row: every currency, the reporting one first. */
export function revenueCell(row, currency) {
  const [main, ...others] = revenueLines(row, currency);
  const net = netRevenueLine(row, currency);
  return h('td.num', { dataset: { col: 'revenue' } },
    h('div', {}, main),
    net ? h('div.money-net.small', { title: NET_HINT }, net) : null,
    others.map((line) => h('div.money-extra.small', { title: otherCurrencyHint(currency) }, line)));
}

/**
 * A row's rates from its counts (API.md's definitions), for rows and totals alike: the numbers the API sends (rounded to
 * 4 places until 2026-12-06, when rounding those again for display read 10 bots in 230 clicks as 4.4 % in the row,
 * 4.3 % in the totals), whatever a row was summed from.
 */
export const rates = (r) => ({
  conversionRate: r.qualifiedClicks ? r.conversions / r.qualifiedClicks : 0,
  botRatio: r.clicks ? (r.clicks - r.qualifiedClicks) / r.clicks : 0,
});

function cells(row, currency) {
  const { conversionRate, botRatio } = rates(row);
  return [
    h('td', {}, h(`div.strong${idClass(row.campaignId)}`, {}, row.campaignId)),
    h('td.num', { dataset: { col: 'clicks' } }, fmt.int(row.clicks)),
    h('td.num', { dataset: { col: 'qualifiedClicks' } }, fmt.int(row.qualifiedClicks)),
    h('td.num', { dataset: { col: 'conversions' } }, h('div', {}, fmt.int(row.conversions)), unauthenticatedLine(row)),
    h('td.num', { dataset: { col: 'verifiedConversions' }, title: VERIFIED_HINT }, fmt.int(row.verifiedConversions)),
    revenueCell(row, currency),
    h('td.num', { dataset: { col: 'conversionRate' } }, fmt.pct(conversionRate)),
    h('td.num', { dataset: { col: 'botRatio' } }, fmt.pct(botRatio)),
    h('td', { dataset: { col: 'confidence' } }, confidenceCell(row)),
    h('td.small.nowrap', { dataset: { col: 'lastClickAt' }, title: row.lastClickAt ? fmt.utcTime(row.lastClickAt) : undefined }, fmt.ago(row.lastClickAt)),
  ];
}

/**
 * A partner's commission in a funnel row (API.md: "commission (by currency)"), one line per currency,
 * the reporting one first as in the revenue cell; read as {USD: 1.5} or [{currency, amount}] so either envelope shows.
 * None at all (nothing earned, or only rejected commissions, which the API leaves out) is zero in the
 * reporting currency: a bare "0.00" named no currency beside cells that all do.
 */
export function commissionLines(row, currency = impliedCurrency(row)) {
  const c = row.commission;
  if (c === undefined || c === null) return ['—'];
  const pairs = Array.isArray(c) ? c.map((x) => [x.currency, x.amount]) : typeof c === 'object' ? Object.entries(c) : [['', c]];
  const ordered = [...pairs.filter(([cur]) => cur === currency), ...pairs.filter(([cur]) => cur !== currency)];
  return ordered.length ? ordered.map(([cur, v]) => fmt.money(v, cur)) : [fmt.money(0, currency)];
}

const COMMISSION_HINTS = {
  portal: 'Your commission on these campaigns, by currency',
  partner: "This partner's commission on these campaigns (pending, approved and paid), by currency",
};

/**
 * Builds the table; `upsert(rows, {flash})` replaces or adds rows by campaignId. `commission: true`
 * (the partner portal) adds the partner's commission beside revenue; `'partner'` (a manager's view of one
 * partner) adds it when the rows carry it (the API sends it to a token with commissions.read).
 */
export function funnelTable(currency, { commission = false } = {}) {
  const tbody = h('tbody');
  const head = h('thead');
  const table = h('table.table.funnel#funnel-table', {}, head, tbody);
  let withCommission = commission === true;
  let columns = COLUMNS;
  const setColumns = (on) => {
    withCommission = on;
    const hint = COMMISSION_HINTS[commission === true ? 'portal' : 'partner'];
    columns = on ? [...COLUMNS.slice(0, 6), { title: 'Commission', num: true, hint }, ...COLUMNS.slice(6)] : COLUMNS;
    clear(head, h('tr', {}, columns.map((c) => h(c.num ? 'th.num' : 'th', { title: c.hint }, c.title))));
  };
  setColumns(withCommission);
  const rows = new Map();
  // Who is not told the reporting currency (a partner token) reads it from revenue: the row's own, else the loaded rows'.
  let rowsCurrency = '';

  function render(row, flash) {
    // Revenue and commission name the same currency: a row that earned nothing said a bare "0.00" beside "0.00 USD".
    const rowCurrency = currency || impliedCurrency(row) || rowsCurrency;
    const list = cells(row, rowCurrency);
    if (withCommission) list.splice(6, 0, h('td.num', { dataset: { col: 'commission' } }, commissionLines(row, rowCurrency).map((line) => h('div', {}, line))));
    const tr = h(`tr${row.confidence < LOW_CONFIDENCE ? '.low-confidence' : ''}`, { dataset: { campaignId: row.campaignId } }, list);
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
      if (commission === 'partner') setColumns(list.some((r) => r.commission !== undefined));
      rowsCurrency = impliedCurrency(totalsOf(list));
      for (const r of list) render(r, false);
      if (!list.length) tbody.append(emptyRow(columns.length, 'No campaign has data in this range yet.'));
    },
    upsert(list, { flash = true } = {}) {
      tbody.querySelector('tr.empty')?.remove();
      for (const r of list) render({ ...rows.get(r.campaignId)?.row, ...r }, flash);
    },
    rows: () => [...rows.values()].map((v) => v.row),
  };
}

const cents = (x) => Math.round(x * 100) / 100;

/** Per-currency sums of the rows, rounded like the API's (so 0.1 + 0.2 shows as 0.30, not 0.30000000000000004). */
function sumByCurrency(rows, of = (r) => r.revenueByCurrency) {
  const sums = {};
  for (const r of rows) for (const [c, v] of Object.entries(of(r) ?? {})) sums[c] = cents((sums[c] ?? 0) + v);
  return Object.fromEntries(Object.entries(sums).sort(([a], [b]) => a.localeCompare(b)));
}

/** Totals recomputed from rows with the contract's formulas (used after live updates). */
export function totalsOf(rows) {
  const t = rows.reduce((a, r) => ({
    clicks: a.clicks + (r.clicks ?? 0),
    qualifiedClicks: a.qualifiedClicks + (r.qualifiedClicks ?? 0),
    conversions: a.conversions + (r.conversions ?? 0),
    verifiedConversions: a.verifiedConversions + (r.verifiedConversions ?? 0),
    unauthenticatedConversions: a.unauthenticatedConversions + (r.unauthenticatedConversions ?? 0),
    revenue: cents(a.revenue + (r.revenue ?? 0)),
    netRevenue: cents(a.netRevenue + (r.netRevenue ?? r.revenue ?? 0)),
    reversals: a.reversals + (r.reversals ?? 0),
  }), { clicks: 0, qualifiedClicks: 0, conversions: 0, verifiedConversions: 0, unauthenticatedConversions: 0, revenue: 0, netRevenue: 0, reversals: 0 });
  t.revenueByCurrency = sumByCurrency(rows);
  t.netRevenueByCurrency = sumByCurrency(rows, (r) => r.netRevenueByCurrency ?? r.revenueByCurrency);
  return Object.assign(t, rates(t));
}

/**
 * The totals the cards show: the API's (exact counts and sums over the whole window) over those of the rows, with rates
 * recomputed from the counts (the API's, rounded to 4 places until 2026-12-06, once read 26 in 214 as 12.2 % on the card
 * beside 12.1 % in the row).
 */
export function cardTotals(rows, apiTotals) {
  const t = { ...totalsOf(rows), ...(apiTotals ?? {}) };
  return Object.assign(t, rates(t));
}

export function totalsCards(t, currency) {
  const stat = (label, value, id, ...extra) =>
    h('div.stat', { dataset: { stat: id } }, h('div.stat-label', {}, label), h('div.stat-value', {}, value), extra);
  const [revenue, ...otherCurrencies] = revenueLines(t, currency);
  const net = netRevenueLine(t, currency);
  return [
    stat('Clicks', fmt.int(t.clicks), 'clicks'),
    stat('Qualified clicks', fmt.int(t.qualifiedClicks), 'qualifiedClicks'),
    stat('Conversions', fmt.int(t.conversions), 'conversions',
      h('div.stat-extra', { title: VERIFIED_HINT }, `${fmt.int(t.verifiedConversions)} verified`),
      unauthenticatedLine(t, 'div.stat-extra'),
      t.reversals ? h('div.stat-extra', { title: REVERSALS_HINT, dataset: { extra: 'reversals' } }, `${fmt.int(t.reversals)} ${t.reversals === 1 ? 'reversal' : 'reversals'}`) : null),
    stat('Revenue', revenue, 'revenue',
      net ? h('div.stat-extra.money-net', { title: NET_HINT }, net) : null,
      otherCurrencies.map((line) => h('div.stat-extra', { title: otherCurrencyHint(currency) }, line))),
    stat('Conversion rate', fmt.pct(t.conversionRate), 'conversionRate'),
    stat('Bot ratio', fmt.pct(t.botRatio), 'botRatio'),
  ];
}
