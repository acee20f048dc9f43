// The partner portal's postbacks (API.md "Events, postbacks and the merchant snippet"): the
// partner's own URL templates that tenx calls for its events, each with its newest deliveries
// (refreshed while the page is open), and with partner.postbacks.write: add one (a POST postback's
// signing secret shown once) and delete one after a confirmation. The API decides what is allowed:
// its 400 (an unknown macro, endpoint_not_allowed: the webhooks' SSRF rules) and 422 show next to
// the form, which keeps what the partner typed.

import { api } from './api.js';
import { h, clear, errorBox, fmt, badge, card, scopeNote, statusBadge, emptyRow, busy, feedbackBox } from './dom.js';
import { pagedTable } from './paged-table.js';
import { confirmAction } from './confirm.js';
import { shownOnce } from './secret-once.js';
import { attemptOutcome, attemptTime, attemptsTable, deliveryCounts, fetchNewest, summaryRows } from './delivery-attempts.js';
import { POSTBACK_EVENTS, POSTBACK_MACROS } from './event-types.js';

const WRITE = 'partner.postbacks.write';
const RECENT = 5; // deliveries shown per postback at first, newest first
const MORE = 20; // and how many more each "Show more" adds
const MOST = 200; // shown at most: each refresh refetches them all; older ones are for `tenx postbacks deliveries`
const REFRESH_MS = { idle: 4000, inFlight: 1000 };

/** Whether the token may add and delete postbacks: its scopes, from the realm's current-token route. */
async function canWritePostbacks() {
  const token = await api('/partner/token');
  return token.scopes.includes(WRITE);
}

export async function renderPortalPostbacks(ctx) {
  const secretArea = feedbackBox('div.token-issued#postback-secret');
  const writeArea = h('div#postback-write');
  const deliveries = new Map(); // postbackId → { el, signature, inFlight, seq }
  const wanted = new Map(); // postbackId → deliveries asked for: kept when the list re-renders (a postback added or deleted)
  const opened = new Set(); // deliveryIds whose attempts the partner opened: a refresh keeps them open
  let canWrite = false;

  const table = pagedTable({
    id: 'postbacks-table',
    path: '/partner/postbacks',
    columns: ['URL template', 'Method', 'Events', 'Created', ''],
    empty: () => (canWrite ? 'No postback yet: add one below.' : 'No postback yet.'),
    row,
    onLoad: () => void refreshAll(),
  });

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Postbacks'),
      h('p.muted', {}, 'Your tracker\'s URLs that tenx calls when your conversions and commissions happen. Failed calls are retried (5 times, with backoff).'))),
    card('Your postbacks', table.el),
    writeArea);

  function row(p) {
    const feedback = feedbackBox();
    const recent = h('div.postback-deliveries', { dataset: { deliveriesOf: p.postbackId } }, h('p.muted.small', {}, 'Loading deliveries…'));
    deliveries.set(p.postbackId, { el: recent, signature: '', inFlight: false, seq: 0 });
    const remove = async (button) => {
      const sure = await confirmAction({
        title: 'Delete this postback?',
        body: [h('span.long-url', {}, p.urlTemplate), 'tenx stops calling it, and its deliveries are deleted with it. This cannot be undone.'],
        confirm: 'Delete postback',
      });
      if (!sure) return;
      const done = busy(button);
      clear(feedback);
      try {
        await api(`/partner/postbacks/${encodeURIComponent(p.postbackId)}`, { method: 'DELETE' });
        deliveries.delete(p.postbackId);
        wanted.delete(p.postbackId);
        await table.reload();
      } catch (err) {
        feedback.append(errorBox(err, 'Could not delete the postback'));
        done();
      }
    };
    const frag = document.createDocumentFragment();
    frag.append(
      h('tr', { dataset: { postbackId: p.postbackId } },
        h('td', {}, h('div.long-url.strong', {}, p.urlTemplate), h('div.muted.small.mono', {}, p.postbackId)),
        h('td', {}, badge(p.method, p.method === 'POST' ? 'good' : 'neutral', p.method === 'POST' ? 'Sends the event JSON, signed with the postback\'s secret' : 'Calls the URL, unsigned')),
        h('td.small', {}, p.events.map((t) => h('div', {}, h('code', {}, t)))),
        h('td.small.nowrap', {}, fmt.utcTime(p.createdAt)),
        h('td.actions', {}, canWrite
          ? h('button.btn.btn-small', { type: 'button', dataset: { action: 'delete' }, 'aria-label': `Delete the postback to ${p.urlTemplate}`, on: { click: (e) => void remove(e.currentTarget) } }, 'Delete')
          : null, feedback)),
      h('tr.detail', { dataset: { deliveriesOf: p.postbackId } }, h('td', { colSpan: 5 }, recent)));
    return frag;
  }

  /**
   * A postback's newest deliveries, as many as the partner asked to see: re-rendered only on change, so a
   * refresh never moves what the partner is reading; each refresh refetches that many from the newest.
   */
  async function refresh(postbackId) {
    const entry = deliveries.get(postbackId);
    if (!entry) return;
    // A refresh that started before "Show more" (or another refresh) was clicked and ends after it is dropped.
    const seq = ++entry.seq;
    try {
      const res = await fetchNewest(`/partner/postbacks/${encodeURIComponent(postbackId)}/deliveries`, wanted.get(postbackId) ?? RECENT);
      if (seq !== entry.seq || deliveries.get(postbackId) !== entry) return;
      const signature = JSON.stringify(res);
      if (signature === entry.signature) return;
      entry.signature = signature;
      entry.inFlight = res.data.some((d) => d.status === 'pending' || d.status === 'retrying');
      const more = res.data.length < MOST && res.nextCursor
        ? () => {
          wanted.set(postbackId, Math.min(MOST, res.data.length + MORE));
          return refresh(postbackId);
        }
        : null;
      clear(entry.el, deliveriesTable(postbackId, res, opened, more));
    } catch (err) {
      if (seq !== entry.seq) return;
      if (err?.status === 404) return void deliveries.delete(postbackId); // deleted meanwhile (another tab)
      entry.signature = '';
      clear(entry.el, errorBox(err, 'Could not load its deliveries'));
    }
  }

  const refreshAll = () => Promise.all([...deliveries.keys()].map(refresh));

  let timer = null;
  let left = false;
  const next = () => {
    if (left) return;
    const inFlight = [...deliveries.values()].some((d) => d.inFlight);
    timer = setTimeout(async () => {
      await refreshAll();
      next();
    }, inFlight ? REFRESH_MS.inFlight : REFRESH_MS.idle);
  };
  ctx.onLeave(() => {
    left = true;
    clearTimeout(timer);
  });

  let writeError = null;
  canWrite = await canWritePostbacks().catch((err) => {
    writeError = err;
    return false;
  });
  if (left) return;
  clear(writeArea, card('Add a postback', writeError
    ? errorBox(writeError, 'Could not tell whether this token may add postbacks')
    : canWrite
      ? [addForm(), secretArea]
      : [scopeNote(WRITE, 'Adding and deleting postbacks')]));
  await table.reload();
  next();

  function addForm() {
    const url = h('input#postback-url', {
      name: 'urlTemplate', type: 'text', inputMode: 'url', required: true, maxLength: 2048, autocomplete: 'off', spellcheck: 'false',
      placeholder: 'https://tracker.example.com/postback?cid={click_id}&payout={amount}', 'aria-describedby': 'postback-macros',
    });
    const method = h('select#postback-method', { name: 'method', 'aria-describedby': 'postback-method-hint' },
      h('option', { value: 'GET' }, 'GET'), h('option', { value: 'POST' }, 'POST'));
    const boxes = POSTBACK_EVENTS.map((t) => h('input', { type: 'checkbox', name: 'events', value: t, defaultChecked: t === 'commission.created' }));
    const submit = h('button.btn.btn-primary#postback-submit', { type: 'submit' }, 'Add postback');
    const feedback = feedbackBox('div.feedback#postback-feedback');

    async function onSubmit(e) {
      e.preventDefault();
      clear(feedback);
      const events = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!events.length) return void feedback.append(errorBox({ message: 'Tick at least one event.' }, 'No event chosen'));
      const done = busy(submit);
      try {
        const p = await api('/partner/postbacks', { method: 'POST', body: { urlTemplate: url.value.trim(), method: method.value, events } });
        form.reset();
        clear(secretArea, p.method === 'POST'
          ? shownOnce({
            heading: 'Signing secret of the new POST postback', secret: p.secret, secretClass: 'postback-secret', copyTitle: 'Copy the signing secret',
            note: 'Your tracker verifies the webhook-signature header of each POST with it (Standard Webhooks).', dataset: { postbackId: p.postbackId },
            onDone: () => clear(secretArea),
          })
          : h('div.alert.alert-success', { role: 'status', dataset: { postbackId: p.postbackId } }, 'Postback added. A GET postback is not signed: it has no secret to keep.'));
        await table.reload();
      } catch (err) {
        // What was typed stays, so the partner fixes the macro or the host the server named.
        feedback.append(errorBox(err, 'Could not add the postback'));
        url.focus();
      } finally {
        done();
      }
    }

    const form = h('form.postback-form#postback-form', { method: 'post', on: { submit: onSubmit } },
      h('div.field', {}, h('label', { for: 'postback-url' }, 'URL template'), url,
        h('div.hint.muted#postback-macros', {}, 'https, on a public address. Macros, replaced (URL-encoded) when tenx calls it: ',
          h('span.macro-list', {}, POSTBACK_MACROS.map((m) => h('code', {}, `{${m}}`))),
          '. {amount} is the commission\'s amount, {value} the conversion\'s value.')),
      h('div.inline-form', {},
        h('label.inline-field', { for: 'postback-method' }, h('span', {}, 'Method'), method),
        h('span.hint.muted#postback-method-hint', {}, 'POST also sends the event JSON, signed with the postback\'s own secret.')),
      h('fieldset.event-types', {}, h('legend', {}, 'Events'),
        h('div.inline-form', {}, POSTBACK_EVENTS.map((t, i) => h('label.inline-field.check', {}, boxes[i], h('code', {}, t))))),
      h('div', {}, submit),
      feedback);
    return form;
  }
}

/**
 * The newest deliveries of one postback: event, status, attempts (opened: those shown in full), the last response and
 * when; under them, while older ones exist, a button that shows `MORE` more (`more`), or past `MOST` the CLI command.
 */
function deliveriesTable(postbackId, res, opened, more) {
  // One postback's summary, in the notifications panel's shape (keyed by webhookId, here the postbackId).
  const s = summaryRows(res.summary).find((r) => r.webhookId === postbackId) ?? {};
  const counts = h('div.counts.small', {}, deliveryCounts(s));
  return h('div', {},
    h('div.postback-deliveries-head', {}, h('h3.detail-title', {}, 'Recent deliveries'), counts),
    h('div.table-wrap', {}, h('table.table.postback-deliveries-table', {},
      h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Response', 'Time'].map((t) => h('th', {}, t)))),
      h('tbody', {}, res.data.length
        ? res.data.map((d) => {
          const attempts = d.attempts ?? [];
          const last = attempts[attempts.length - 1];
          return h('tr', { dataset: { deliveryId: d.deliveryId, status: d.status } },
            h('td', {}, h('code', {}, d.eventType)),
            h('td', {}, statusBadge(d.status)),
            h('td', {}, attempts.length
              ? h('details', {
                open: opened.has(d.deliveryId),
                on: { toggle: (e) => (e.currentTarget.open ? opened.add(d.deliveryId) : opened.delete(d.deliveryId)) },
              }, h('summary', { 'aria-label': `${attempts.length} attempts: show each` }, `${attempts.length}`), attemptsTable(attempts))
              : '0'),
            h('td.small', { dataset: { col: 'response' } }, last ? attemptOutcome(last) : h('span.muted', {}, d.nextAttemptAt ? `next ${fmt.utcTime(d.nextAttemptAt)}` : '—')),
            h('td.small.nowrap', {}, fmt.utcTime(last ? attemptTime(last) : d.createdAt)));
        })
        : emptyRow(5, 'No delivery yet: tenx calls it at your next subscribed event.')))),
    res.nextCursor ? h('div.table-more', {}, h('span.muted.small', {}, `${fmt.int(res.data.length)} newest shown`),
      more
        ? h('button.btn.btn-small.btn-ghost', {
          type: 'button', dataset: { action: 'more-deliveries' },
          on: { click: (e) => { e.currentTarget.disabled = true; void more(); } },
        }, `Show ${MORE} more`)
        : h('span.muted.small', { dataset: { olderDeliveries: 'cli' } }, h('code', {}, `tenx postbacks deliveries ${postbackId}`), ' lists the older ones')) : null);
}
