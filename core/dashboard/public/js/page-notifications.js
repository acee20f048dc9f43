// The notifications panel: webhook deliveries with their attempts, success/failure counts per
// webhook, and redelivery of failed ones. Refreshes itself while open.

import { api, query } from './api.js';
import { h, clear, errorBox, fmt, statusBadge, emptyRow, scopeNote } from './dom.js';
import { allowed } from './scopes.js';

// Poll faster while a delivery is still in flight: its retries land within seconds.
const REFRESH_MS = { idle: 4000, inFlight: 1000 };
const STATUSES = ['', 'failed', 'retrying', 'pending', 'succeeded'];

/** The summary as a list, whether the server keys it by webhook or sends rows. */
export function summaryRows(summary) {
  if (Array.isArray(summary)) return summary;
  return Object.entries(summary ?? {}).map(([webhookId, counts]) => ({ webhookId, ...counts }));
}

export async function renderNotifications(ctx) {
  const canRedeliver = allowed(ctx.scopes, 'webhooks.write');
  const status = h('select#delivery-status', { 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s }, s || 'All statuses')));
  const refreshState = h('span.muted.small#notifications-updated');
  const errors = h('div');
  const summaryEl = h('div.webhook-cards#webhook-summary');
  const tbody = h('tbody');
  const expanded = new Set();
  const redelivered = new Map(); // deliveryId → message shown under the row until the next change
  let endpoints = new Map();
  let timer = null;
  let latest = [];
  let lastSignature = '';

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Notifications'), h('p.muted', {}, 'Signed webhook deliveries: 5 retries with exponential backoff, then failed.')),
      h('div.toolbar', {}, status, refreshState)),
    errors,
    h('section.card', {}, h('h2.card-title', {}, 'Delivery health per webhook'), summaryEl),
    h('section.card', {}, h('h2.card-title', {}, 'Deliveries'),
      canRedeliver ? null : scopeNote('webhooks.write', 'Redelivering'),
      h('div.table-wrap', {}, h('table.table#deliveries-table', {},
        h('thead', {}, h('tr', {}, ['Event', 'Webhook', 'Status', 'Attempts', 'Last attempt', 'Created', ''].map((t) => h('th', {}, t)))),
        tbody))));

  async function loadEndpoints() {
    if (!allowed(ctx.scopes, 'webhooks.read')) return;
    try {
      const res = await api(`/webhooks${query({ limit: 500 })}`);
      endpoints = new Map(res.data.map((w) => [w.webhookId, w.endpointUrl]));
    } catch {
      // endpoint URLs are a nicety: deliveries still show their webhook id
    }
  }

  async function load() {
    try {
      const res = await api(`/notifications${query({ limit: 100, status: status.value || undefined })}`);
      clear(errors);
      refreshState.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      // Re-render only on change, so a refresh never swaps a button out from under a click.
      const signature = JSON.stringify(res) + status.value;
      if (signature === lastSignature) return;
      lastSignature = signature;
      latest = res.data;
      renderSummary(summaryRows(res.summary));
      renderDeliveries();
    } catch (err) {
      clear(errors, errorBox(err, 'Could not load deliveries'));
    }
  }

  function renderSummary(rows) {
    if (!rows.length) return clear(summaryEl, h('p.muted', {}, 'No webhook has been sent anything yet.'));
    clear(summaryEl, rows.map((s) => {
      const done = (s.succeeded ?? 0) + (s.failed ?? 0);
      const rate = done ? (s.succeeded ?? 0) / done : null;
      const url = s.endpointUrl ?? endpoints.get(s.webhookId);
      return h('div.webhook-card', { dataset: { webhookId: s.webhookId } },
        h('div.strong.truncate', { title: url ?? s.webhookId }, url ?? s.webhookId),
        url ? h('div.muted.small.mono', {}, s.webhookId) : null,
        h('div.counts', {},
          h('span.count-good', { dataset: { count: 'succeeded' } }, h('b', {}, fmt.int(s.succeeded ?? 0)), ' succeeded'),
          h('span.count-bad', { dataset: { count: 'failed' } }, h('b', {}, fmt.int(s.failed ?? 0)), ' failed'),
          s.retrying || s.pending ? h('span.muted', { dataset: { count: 'open' } }, `${fmt.int((s.retrying ?? 0) + (s.pending ?? 0))} in flight`) : null,
          rate === null ? null : h('span.muted', {}, `${fmt.pct(rate)} delivered`)),
        canRedeliver ? pingButton(s.webhookId) : null);
    }));
  }

  function pingButton(webhookId) {
    const feedback = h('div.row-feedback');
    const button = h('button.btn.btn-small.ping', { type: 'button', on: { click: onPing } }, 'Send test ping');
    async function onPing() {
      button.disabled = true;
      clear(feedback);
      try {
        await api(`/webhooks/${encodeURIComponent(webhookId)}/ping`, { method: 'POST' });
        lastSignature = '';
        await load();
      } catch (err) {
        feedback.append(errorBox(err, 'Could not send a ping'));
      } finally {
        button.disabled = false;
      }
    }
    return h('div.ping-row', {}, button, feedback);
  }

  function renderDeliveries() {
    clear(tbody);
    if (!latest.length) return tbody.append(emptyRow(7, status.value ? `No ${status.value} delivery.` : 'No delivery yet.'));
    for (const d of latest) {
      const attempts = d.attempts ?? [];
      const last = attempts[attempts.length - 1];
      const open = expanded.has(d.deliveryId);
      const toggle = h('button.btn.btn-small.btn-ghost', { type: 'button', 'aria-expanded': String(open), on: { click: () => { open ? expanded.delete(d.deliveryId) : expanded.add(d.deliveryId); renderDeliveries(); } } },
        `${attempts.length} ${open ? '▴' : '▾'}`);
      const actions = h('td.actions');
      if (d.status === 'failed' && canRedeliver) {
        actions.append(h('button.btn.btn-small.btn-primary.redeliver', { type: 'button', on: { click: (e) => redeliver(e.currentTarget, d) } }, 'Redeliver'));
      }
      tbody.append(h('tr', { dataset: { deliveryId: d.deliveryId, status: d.status } },
        h('td', {}, h('code', {}, d.eventType ?? d.type ?? '—'), h('div.muted.small.mono', {}, d.eventId ?? d.deliveryId),
          d.redeliveries ? h('div.small.muted', {}, `redelivered ×${d.redeliveries}`) : null),
        h('td', {}, h('div.truncate', { title: d.webhookId }, d.endpointUrl ?? endpoints.get(d.webhookId) ?? d.webhookId)),
        h('td.status', {}, statusBadge(d.status)),
        h('td', {}, toggle),
        h('td.small', {}, last ? [attemptOutcome(last), h('div.muted', {}, fmt.ago(attemptTime(last)))] : h('span.muted', {}, d.nextAttemptAt ? `next ${fmt.time(d.nextAttemptAt)}` : '—')),
        h('td.small', {}, fmt.time(d.createdAt)),
        actions));
      if (redelivered.has(d.deliveryId)) tbody.append(h('tr.detail', {}, h('td', { colSpan: 7 }, redelivered.get(d.deliveryId))));
      if (open) tbody.append(h('tr.detail', {}, h('td', { colSpan: 7 }, attemptsTable(attempts))));
    }
  }

  async function redeliver(button, d) {
    button.disabled = true;
    try {
      await api(`/notifications/${encodeURIComponent(d.deliveryId)}/redeliver`, { method: 'POST' });
      redelivered.set(d.deliveryId, h('div.alert.alert-success', { role: 'status' }, 'Queued for redelivery; its new attempts appear here.'));
    } catch (err) {
      redelivered.set(d.deliveryId, errorBox(err, 'Could not redeliver'));
    }
    lastSignature = '';
    await load();
  }

  status.addEventListener('change', load);
  let left = false;
  const next = () => {
    if (left) return;
    const inFlight = latest.some((d) => d.status === 'pending' || d.status === 'retrying');
    timer = setTimeout(tick, inFlight ? REFRESH_MS.inFlight : REFRESH_MS.idle);
  };
  const tick = async () => {
    await load();
    next();
  };
  ctx.onLeave(() => {
    left = true;
    clearTimeout(timer);
  });
  await loadEndpoints();
  await load();
  next();
}

const attemptTime = (a) => a.at ?? a.attemptedAt ?? a.createdAt ?? a.startedAt;

function attemptOutcome(a) {
  const code = a.statusCode ?? a.status;
  const ok = typeof code === 'number' && code >= 200 && code < 300;
  return h(`span.${ok ? 'count-good' : 'count-bad'}`, {}, code ? `HTTP ${code}` : 'no response');
}

function attemptsTable(attempts) {
  if (!attempts.length) return h('p.muted.small', {}, 'Not attempted yet.');
  return h('table.table.attempts', {},
    h('thead', {}, h('tr', {}, ['#', 'Time', 'Status code', 'Latency', 'Error / response'].map((t) => h('th', {}, t)))),
    h('tbody', {}, attempts.map((a, i) => h('tr', {},
      h('td', {}, String(a.attempt ?? i + 1)),
      h('td', {}, fmt.time(attemptTime(a))),
      h('td', {}, attemptOutcome(a)),
      h('td.num', {}, typeof (a.latencyMs ?? a.latency) === 'number' ? `${fmt.int(a.latencyMs ?? a.latency)} ms` : '—'),
      h('td', {}, a.error ? h('div.error-text', {}, a.error) : null, a.responseSnippet ? h('div.muted.small.mono.truncate', { title: a.responseSnippet }, a.responseSnippet) : null)))));
}
