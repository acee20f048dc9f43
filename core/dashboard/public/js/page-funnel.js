// The live funnel: per-campaign metrics kept current by the SSE stream, a chart per day (per hour
// for the last 24 hours), and the CSV export of raw clicks, all over the range in the URL.

import { api, authHeaders, download, handlePath, query, unauthorized } from './api.js';
import { h, clear, errorBox, card, feedbackBox } from './dom.js';
import { openEventStream } from './sse.js';
import { timeSeriesChart } from './chart.js';
import { cardTotals, funnelTable, totalsCards } from './funnel-table.js';
import { fillBuckets, parseRange, rangeSearch, rangeWindow, searchWith } from './range.js';
import { partnerFilter } from './partner-field.js';
import { rangePicker } from './range-picker.js';

/** Rows in a stream event, whatever envelope the server wraps them in. */
export function rowsOfEvent(data) {
  const rows = Array.isArray(data) ? data : Array.isArray(data?.data) ? data.data : Array.isArray(data?.rows) ? data.rows : [data];
  return rows.filter((r) => r && typeof r.campaignId === 'string');
}

export async function renderFunnel(ctx) {
  const currency = ctx.currency;
  // The handle's analytics, or the partner realm's (the same shapes over the partner's campaigns).
  const base = ctx.analyticsPath ?? '/analytics';
  let range = parseRange(ctx.query);
  // The manager's view of one partner, kept in the URL.
  const partner = await partnerFilter(ctx, 'funnel-partner');
  const partnerId = () => partner?.value || undefined;
  const keep = () => ctx.setQuery?.(searchWith(range, { partnerId: partnerId() }), rangeSearch(range));
  const liveState = h('span.live#live-state', { dataset: { state: 'connecting' } }, 'connecting');
  const picker = rangePicker(range, (next) => {
    range = next;
    clear(exportFeedback); // "Downloaded …" spoke of the range just left
    keep();
    void loadAll();
  }, { chart: true });
  partner?.addEventListener('change', () => {
    clear(exportFeedback);
    keep();
    void loadAll();
  });
  // Labelled where it is seen: beside the title, an unlabelled "All campaigns" read as a filter of the page.
  const exportCampaign = h('select#export-campaign', {}, h('option', { value: '' }, 'All campaigns'));
  const exportLabel = h('label.muted.small', { for: 'export-campaign' }, 'Export the clicks of');
  const exportButton = h('button.btn#export-csv', { type: 'button', on: { click: exportCsv } }, 'Export CSV');
  const exportFeedback = feedbackBox('div.feedback#export-feedback');
  const errors = h('div');
  const stats = h('div.stats#funnel-totals');
  const chartBody = h('div.chart-body#funnel-chart');
  const chartTitle = h('h2.card-title#funnel-chart-title', {}, 'Clicks and conversions per day');
  const table = funnelTable(currency, { commission: ctx.partner ? true : 'partner' });
  let loaded = false;
  const pending = []; // stream rows that arrive before the first load

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Funnel ', liveState), h('p.muted', {}, ctx.partner ? 'Your campaigns, live: clicks, conversions and your commission.' : 'Clicks, bots filtered out, conversions and revenue per campaign, live; a confidence below 50 warrants investigation.')),
      h('div.toolbar', {}, partner ? [h('label.muted.small', { for: 'funnel-partner' }, 'Partner'), partner] : null, exportLabel, exportCampaign, exportButton)),
    picker.el, exportFeedback, errors, stats,
    h('section.card', {}, chartTitle, chartBody),
    card('Campaigns', table.el));

  const win = () => rangeWindow(range);
  // Counted so that an answer for a range the person has already left is dropped.
  let seq = 0;

  async function loadFunnel() {
    const mine = seq;
    const { from, to } = win();
    const res = await api(`${base}${query({ funnel: true, partnerId: partnerId(), from, to })}`);
    if (mine !== seq) return;
    table.set(res.data);
    renderTotals(res.totals);
    const chosen = exportCampaign.value;
    clear(exportCampaign, h('option', { value: '' }, 'All campaigns'), res.data.map((r) => h('option', { value: r.campaignId, selected: r.campaignId === chosen }, r.campaignId)));
  }

  function renderTotals(apiTotals) {
    clear(stats, totalsCards(cardTotals(table.rows(), apiTotals), currency));
  }

  async function loadChart() {
    const mine = seq;
    const w = win();
    const res = await api(`${base}${query({ groupBy: w.grain, partnerId: partnerId(), from: w.from, to: w.to })}`);
    if (mine !== seq) return;
    chartTitle.textContent = `Clicks and conversions per ${w.grain} (${w.label})`;
    clear(chartBody, timeSeriesChart(fillBuckets(res.data, w), w.grain, { width: chartBody.clientWidth }));
    const scroller = chartBody.querySelector('.chart-scroll');
    if (scroller) scroller.scrollLeft = scroller.scrollWidth; // where the chart scrolls (a phone), show the newest first
  }

  async function loadAll() {
    seq++;
    clear(errors);
    const results = await Promise.allSettled([loadFunnel(), loadChart()]);
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') errors.append(errorBox(r.reason, i === 0 ? 'Could not load the funnel' : 'Could not load the chart'));
    }
  }

  // Coalesce bursts of live events into one refetch of what the stream does not carry.
  const later = (fn, ms) => {
    let timer = null;
    return () => { timer ??= setTimeout(() => { timer = null; fn().catch((err) => errors.append(errorBox(err, 'Live refresh failed'))); }, ms); };
  };
  const refreshChart = later(loadChart, 2000);
  const refreshFunnel = later(loadFunnel, 500);

  function onStreamEvent(ev) {
    if (ev.type !== 'funnel' && ev.type !== 'message') return; // e.g. `close` before a server restart
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return; // not JSON: a heartbeat or an event this page does not use
    }
    const rows = rowsOfEvent(data);
    if (!rows.length) return;
    if (!loaded) return void pending.push(...rows);
    // The stream carries all-time rows: merge them when that is what the table shows, else refetch
    // (a range that ended in the past cannot change).
    const w = win();
    if (w.to && Date.parse(w.to) <= Date.now()) return;
    // One partner's view is refetched: the stream's rows are campaigns', whichever partner held them when.
    if (w.from || partnerId()) refreshFunnel();
    else merge(rows, data.totals);
    refreshChart();
  }

  // Counts only grow: a row older than what the table shows (raced with the first load) is dropped.
  function merge(rows, totals = null) {
    const current = new Map(table.rows().map((r) => [r.campaignId, r]));
    const newer = rows.filter((r) => {
      const c = current.get(r.campaignId);
      return !c || (r.clicks ?? 0) >= c.clicks && (r.conversions ?? 0) >= c.conversions;
    });
    if (!newer.length) return;
    table.upsert(newer);
    renderTotals(newer.length === rows.length ? totals : null);
  }

  const stream = openEventStream(handlePath(`${base}/stream`), {
    headers: authHeaders(),
    onEvent: onStreamEvent,
    onState: (state) => {
      liveState.dataset.state = state;
      liveState.textContent = state === 'open' ? 'live' : state;
    },
    // A 401 (the token was revoked or expired while the page was open) ends the session, as on every page.
    onError: (err) => (err.status === 401 ? unauthorized(err) : errors.append(errorBox(err, 'The live stream was refused'))),
  });
  ctx.onLeave(() => stream.close());

  async function exportCsv() {
    clear(exportFeedback);
    exportButton.disabled = true;
    const campaignId = exportCampaign.value || undefined;
    try {
      const name = `tenx-${ctx.handle}-${partnerId() ? `${partnerId()}-` : ''}${campaignId ?? 'all'}-clicks-${new Date().toISOString().slice(0, 10)}.csv`;
      const asked = range;
      const { from, to } = win();
      const bytes = await download(`${base}/export${query({ format: 'csv', campaignId, partnerId: partnerId(), from, to })}`, name);
      if (range !== asked) return; // the range changed while it downloaded: the banner would describe the new one
      exportFeedback.append(h('div.alert.alert-success', { role: 'status' }, `Downloaded ${name} (${bytes.toLocaleString()} bytes).`));
    } catch (err) {
      exportFeedback.append(errorBox(err, 'Could not export'));
    } finally {
      exportButton.disabled = false;
    }
  }

  await loadAll();
  loaded = true;
  // Early stream rows are all-time: they can only update an all-time table (a range was just fetched).
  const early = pending.splice(0);
  if (early.length && !win().from && !win().to && !partnerId()) merge(early, null);
}
