// The notifications panel: the handle's webhooks (webhook-manager.js), webhook deliveries with
// their attempts, success/failure counts per webhook, and redelivery of failed ones. Refreshes
// itself while open.

import { api, query } from './api.js';
import { h, clear, errorBox, fmt, statusBadge, emptyRow, scopeNote, busy, utcTimeText, feedbackBox } from './dom.js';
import { allowed } from './scopes.js';
import { webhookManager } from './webhook-manager.js';
import { attemptOutcome, attemptTime, attemptsTable, deliveryCounts, fetchNewest, summaryRows } from './delivery-attempts.js';

// Poll faster while a delivery is still in flight: its retries land within seconds.
const REFRESH_MS = { idle: 4000, inFlight: 1000 };
const STATUSES = ['', 'failed', 'retrying', 'pending', 'succeeded'];
const PAGE_SIZE = 100;

/** The newest `count` deliveries of the handle's webhooks (and its partners' postbacks), from `after` on. */
export const fetchDeliveries = (status, count, after = undefined) => fetchNewest('/notifications', count, { status }, after);

export async function renderNotifications(ctx) {
  if (!allowed(ctx.scopes, 'notifications.read')) return renderWebhooksOnly(ctx);
  const canRedeliver = allowed(ctx.scopes, 'webhooks.write');
  const status = h('select#delivery-status', { 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s }, s || 'All statuses')));
  const refreshState = h('span.muted.small#notifications-updated');
  const errors = h('div');
  const summaryEl = h('div.webhook-cards#webhook-summary');
  const tbody = h('tbody');
  // Above the table: a redelivered row can leave the filter at once (failed → pending), its own note with it.
  const redeliveryNote = feedbackBox('div.feedback#redelivery-note');
  const moreButton = h('button.btn#deliveries-more', { type: 'button', hidden: true, on: { click: loadMore } }, 'Load more');
  const shownCount = h('span.muted.small#deliveries-shown');
  const moreErrors = h('div.table-more-error'); // a failed "Load more" says why where it was clicked
  const expanded = new Set();
  const redelivered = new Map(); // deliveryId → message shown under the row until the next change
  let endpoints = new Map();
  let timer = null;
  let latest = [];
  let lastSignature = '';
  // How many deliveries the person asked to see: one page, plus one per "Load more". Each refresh
  // refetches that many from the newest, so new deliveries never open a gap between pages.
  let wanted = PAGE_SIZE;
  let nextCursor = null;
  let loadSeq = 0; // a refresh that finishes after a newer one (or after a filter change) is dropped
  // A webhook added, pinged, rotated or deleted: its URL and its deliveries show at once.
  const manager = webhookManager(ctx, { onChange: async () => {
    await loadEndpoints();
    lastSignature = '';
    await load();
  } });

  // A disabled notification channel fails every delivery through it (channel_disabled) while the webhooks stay listed
  // active: said above everything, for a token that may read plugins (a pass disabled it and saw only failures).
  const channelNote = h('div#channel-note');
  if (allowed(ctx.scopes, 'plugins.read')) {
    // Only channels a webhook goes through (slack, say, is off until someone uses it).
    const webhooksUsing = allowed(ctx.scopes, 'webhooks.read') ? api(`/webhooks${query({ limit: 500 })}`).then((r) => r.data.map((w) => w.channel)) : Promise.resolve(['webhook']);
    Promise.all([api('/plugins'), webhooksUsing]).then(([byKind, channels]) => {
      const used = new Set(channels);
      const off = (byKind.notificationChannels ?? []).filter((p) => !p.enabled && used.has(p.name)).map((p) => p.name);
      if (off.length) {
        channelNote.append(h('div.alert.alert-error', { role: 'status' }, h('strong', {}, `Disabled on the Plugins page: ${off.join(', ')}. `),
          'Every delivery through it fails (channel_disabled) until it is enabled again.'));
      }
    }).catch(() => {}); // the deliveries say it too, in their attempts
  }

  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Notifications'), h('p.muted', {}, 'Signed webhook deliveries: 5 retries with exponential backoff, then failed.')),
      h('div.toolbar', {}, status, refreshState)),
    channelNote,
    errors,
    manager.el,
    h('section.card', {}, h('h2.card-title', {}, 'Delivery health per webhook'), summaryEl),
    h('section.card', {}, h('h2.card-title', {}, 'Deliveries'),
      canRedeliver ? null : scopeNote('webhooks.write', 'Redelivering'),
      redeliveryNote,
      h('div.table-wrap', {}, h('table.table#deliveries-table', {},
        h('thead', {}, h('tr', {}, ['Event', 'Webhook', 'Status', 'Attempts', 'Last attempt', 'Created', ''].map((t) => h('th', {}, t)))),
        tbody)),
      h('div.table-more', {}, moreErrors, shownCount, moreButton)));

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
    const seq = ++loadSeq;
    try {
      const res = await fetchDeliveries(status.value || undefined, wanted);
      if (seq !== loadSeq) return;
      show(res);
    } catch (err) {
      if (seq === loadSeq) clear(errors, errorBox(err, 'Could not load deliveries'));
    }
  }

  function show(res) {
    clear(errors);
    clear(moreErrors);
    refreshState.textContent = `Updated ${fmt.utcClock(new Date())}`;
    // Re-render only on change, so a refresh never swaps a button out from under a click.
    const signature = JSON.stringify(res) + status.value;
    if (signature === lastSignature) return;
    lastSignature = signature;
    latest = res.data;
    nextCursor = res.nextCursor;
    renderSummary(summaryRows(res.summary));
    renderDeliveries();
    renderMore();
  }

  /** The next page after the last delivery shown, appended; the periodic refresh then keeps all of them current. */
  async function loadMore() {
    if (!nextCursor) return;
    // Raised first: a refresh that starts while this page is on its way fetches it too (and wins).
    wanted = latest.length + PAGE_SIZE;
    const seq = ++loadSeq;
    moreButton.disabled = true;
    try {
      const page = await fetchDeliveries(status.value || undefined, PAGE_SIZE, nextCursor);
      if (seq !== loadSeq) return;
      const seen = new Set(latest.map((d) => d.deliveryId));
      show({ ...page, data: [...latest, ...page.data.filter((d) => !seen.has(d.deliveryId))] });
    } catch (err) {
      if (seq === loadSeq) clear(moreErrors, errorBox(err, 'Could not load more deliveries'));
    } finally {
      moreButton.disabled = false;
    }
  }

  function renderMore() {
    moreButton.hidden = !nextCursor;
    shownCount.textContent = latest.length ? `${nextCursor ? '' : 'All '}${fmt.int(latest.length)} ${latest.length === 1 ? 'delivery' : 'deliveries'} shown` : '';
  }

  function renderSummary(rows) {
    if (!rows.length) return clear(summaryEl, h('p.muted', {}, 'No webhook has been sent anything yet.'));
    clear(summaryEl, rows.map((s) => {
      const done = (s.succeeded ?? 0) + (s.failed ?? 0);
      const rate = done ? (s.succeeded ?? 0) / done : null;
      const url = s.endpointUrl ?? endpoints.get(s.webhookId);
      // A partner's postback (its URL is the partner's: the summary names the partner, not the endpoint).
      const postback = Boolean(s.partnerId);
      const title = postback ? `Postback of partner ${s.partnerId}` : url ?? s.webhookId;
      return h('div.webhook-card', { dataset: { webhookId: s.webhookId, ...(postback && { postback: 'true' }) } },
        h('div.strong.truncate', { title }, title),
        url || postback ? h('div.muted.small.mono', {}, s.webhookId) : null,
        h('div.counts', {}, deliveryCounts(s), rate === null ? null : h('span.muted', {}, `${fmt.pct(rate)} delivered`)),
        canRedeliver && !postback ? pingButton(s.webhookId) : null);
    }));
  }

  // The last ping sent from a health card: the reload redraws the card, so its confirmation is drawn from here.
  let pinged = null;

  const pingQueued = (deliveryId) => h('div.alert.alert-success', { role: 'status', title: `Delivery ${deliveryId}` },
    `Ping queued: follow it under Deliveries${status.value && status.value !== 'pending' ? ` (the filter shows ${status.value} deliveries only)` : ''}.`);

  function pingButton(webhookId) {
    const feedback = feedbackBox('div.row-feedback', pinged?.webhookId === webhookId ? pingQueued(pinged.deliveryId) : null);
    const button = h('button.btn.btn-small.ping', { type: 'button', on: { click: onPing } }, 'Send test ping');
    async function onPing() {
      const done = busy(button);
      clear(feedback);
      try {
        const queued = await api(`/webhooks/${encodeURIComponent(webhookId)}/ping`, { method: 'POST' });
        // Said whatever the reload does (a pass waited 6 s for any sign the ping went).
        pinged = { webhookId, deliveryId: queued.deliveryId };
        feedback.append(pingQueued(queued.deliveryId));
        lastSignature = '';
        await load();
        pinged = null; // said once, on the card the reload drew; later refreshes show the delivery itself
      } catch (err) {
        feedback.append(errorBox(err, 'Could not send a ping'));
      } finally {
        done();
      }
    }
    return h('div.ping-row', {}, button, feedback);
  }

  function renderDeliveries() {
    clear(tbody);
    if (!latest.length) return tbody.append(emptyRow(7, status.value ? `No ${status.value} delivery.` : 'No delivery yet: an event a webhook subscribes to, or a test ping, creates one.'));
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
        h('td', {}, webhookCell(d)),
        h('td.status', {}, statusBadge(d.status)),
        h('td', {}, toggle),
        // A delivery still retrying says when its next attempt is (it said only when the last one was).
        h('td.small', {}, last ? [attemptOutcome(last), h('div.muted', {}, fmt.ago(attemptTime(last))),
          (d.status === 'pending' || d.status === 'retrying') && d.nextAttemptAt ? h('div.muted.next-attempt', {}, 'next ', utcTimeText(d.nextAttemptAt)) : null]
          : h('span.muted', {}, d.nextAttemptAt ? ['next ', utcTimeText(d.nextAttemptAt)] : '—')),
        h('td.small', {}, utcTimeText(d.createdAt)),
        actions));
      if (redelivered.has(d.deliveryId)) tbody.append(h('tr.detail', {}, h('td', { colSpan: 7 }, redelivered.get(d.deliveryId))));
      if (open) tbody.append(h('tr.detail', {}, h('td', { colSpan: 7 }, attemptsTable(attempts))));
    }
  }

  /** Its endpoint (a postback: its partner); hovering a cut URL shows it whole (it showed the webhook's id), the id after it. */
  function webhookCell(d) {
    const shown = d.endpointUrl ?? endpoints.get(d.webhookId) ?? (d.partnerId ? `Postback of partner ${d.partnerId}` : d.webhookId);
    return h('div.truncate', { title: shown === d.webhookId ? d.webhookId : `${shown}\n${d.webhookId}` }, shown);
  }

  async function redeliver(button, d) {
    button.disabled = true;
    try {
      await api(`/notifications/${encodeURIComponent(d.deliveryId)}/redeliver`, { method: 'POST' });
      redelivered.set(d.deliveryId, h('div.alert.alert-success', { role: 'status' }, 'Queued for redelivery; its new attempts appear here.'));
      const filtered = status.value && status.value !== 'pending';
      clear(redeliveryNote, h('div.alert.alert-success', { role: 'status', dataset: { deliveryId: d.deliveryId } },
        `Queued for redelivery: ${d.eventType ?? d.type ?? 'the delivery'} (${d.deliveryId.slice(0, 8)})`,
        filtered ? `; it is pending now, so the ${status.value} filter no longer shows it.` : '; its new attempts appear in its row.'));
    } catch (err) {
      redelivered.set(d.deliveryId, errorBox(err, 'Could not redeliver'));
    }
    lastSignature = '';
    await load();
  }

  status.addEventListener('change', () => {
    // A new filter starts again from its newest page; the old cursor belongs to the old filter.
    wanted = PAGE_SIZE;
    latest = [];
    nextCursor = null;
    renderMore();
    void load();
  });
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

/** A token with webhooks.read but not notifications.read manages its webhooks here, without the deliveries (it had no page). */
function renderWebhooksOnly(ctx) {
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Notifications'), h('p.muted', {}, 'Signed webhook deliveries: 5 retries with exponential backoff, then failed.'))),
    webhookManager(ctx).el,
    scopeNote('notifications.read', 'Deliveries and their health'));
}
