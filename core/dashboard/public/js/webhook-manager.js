// The handle's webhooks on the notifications page: the list (endpoint, event types, channel, whether
// a rotated secret still overlaps), and with webhooks.write: add one (its signing secret shown once
// with a Copy button), send a test ping, rotate the secret and delete, the last two after a
// confirmation. The API decides what is allowed: its 400 (endpoint_not_allowed: the SSRF guard),
// 403 (an event type whose read scope the token lacks) and 422 (too_many_webhooks) show next to
// the form.

import { api } from './api.js';
import { h, clear, errorBox, fmt, badge, card, scopeNote, busy, utcTimeText, feedbackBox } from './dom.js';
import { pagedTable } from './paged-table.js';
import { shownOnce } from './secret-once.js';
import { confirmAction } from './confirm.js';
import { allowed } from './scopes.js';
import { EVENT_READ_SCOPES, EVENT_TYPES } from './event-types.js';
import { redrawRow, removeRow } from './row-focus.js';


/** `onChange()` after a webhook is added, pinged, rotated or deleted (the page refreshes its deliveries). Returns { el }. */
export function webhookManager(ctx, { onChange = async () => {} } = {}) {
  if (!allowed(ctx.scopes, 'webhooks.read')) return { el: card('Webhooks', scopeNote('webhooks.read', 'The list of webhooks')) };
  const canWrite = allowed(ctx.scopes, 'webhooks.write');
  const secretArea = feedbackBox('div.token-issued#webhook-secret');
  const table = pagedTable({
    id: 'webhooks-table',
    path: '/webhooks',
    columns: ['Endpoint', 'Event types', 'Channel', 'Status', ''],
    empty: canWrite ? 'No webhook yet: add one below.' : 'No webhook yet.',
    row,
    pageSize: 50,
  });
  void table.reload();

  const changed = async () => {
    await table.reload();
    await onChange();
  };

  function row(w) {
    const feedback = feedbackBox();
    const overlapping = w.previousSecretExpiresAt && Date.parse(w.previousSecretExpiresAt) > Date.now();
    const action = (name, label, fn) => h('button.btn.btn-small', { type: 'button', dataset: { action: name }, on: { click: (e) => fn(e.currentTarget) } }, label);
    const tr = h('tr', { dataset: { webhookId: w.webhookId } },
      h('td', {}, h('div.truncate.strong', { title: w.endpointUrl }, w.endpointUrl), h('div.muted.small.mono', {}, w.webhookId)),
      h('td.small', {}, w.eventTypes.map((t) => h('div', {}, h('code', {}, t)))),
      h('td.small', {}, w.channel),
      h('td.status', {},
        overlapping ? badge('rotating', 'warn', `The previous secret also signs until ${fmt.utcTime(w.previousSecretExpiresAt)}`) : badge('active', 'good'),
        h('div.muted.small', {}, w.secretRotatedAt ? `secret rotated ${fmt.ago(w.secretRotatedAt)}` : ['since ', utcTimeText(w.createdAt)])),
      h('td.actions', {}, canWrite ? [action('ping', 'Send test ping', ping), ' ', action('rotate', 'Rotate secret', rotate), ' ', action('delete', 'Delete', remove)] : null, feedback));
    return tr;

    async function run(button, what, fn) {
      const done = busy(button);
      clear(feedback);
      try {
        await fn();
      } catch (err) {
        feedback.append(errorBox(err, what));
      } finally {
        done();
      }
    }

    function ping(button) {
      return run(button, 'Could not send a ping', async () => {
        const queued = await api(`/webhooks/${encodeURIComponent(w.webhookId)}/ping`, { method: 'POST' });
        feedback.append(h('div.alert.alert-success', { role: 'status', title: `Delivery ${queued.deliveryId}` }, 'Ping queued: follow it under Deliveries.'));
        await onChange();
      });
    }

    async function rotate(button) {
      const sure = await confirmAction({
        title: `Rotate the signing secret of ${w.endpointUrl}?`,
        body: ['Deliveries are signed with a new secret from now on; the previous one also signs them for the overlap the server allows (a day by default), then only the new one does.',
          'Give the new secret to the receiver before that, or it will reject the deliveries.'],
        confirm: 'Rotate secret',
      });
      if (!sure) return;
      await run(button, 'Could not rotate the secret', async () => {
        const fresh = await api(`/webhooks/${encodeURIComponent(w.webhookId)}/rotate-secret`, { method: 'POST' });
        clear(secretArea, secretOnce(fresh, 'New signing secret'));
        // Only this row changed: redrawn in place (a reload of the list dropped the focus to <body>).
        redrawRow(tr, 'rotate', () => {
          const redrawn = row(fresh);
          redrawn.classList.add('flash');
          tr.replaceWith(redrawn);
          return redrawn;
        });
        await onChange();
      });
    }

    async function remove(button) {
      const sure = await confirmAction({
        title: `Delete the webhook to ${w.endpointUrl}?`,
        body: 'It receives nothing more and its pending deliveries are dropped. This cannot be undone; add it again to get a new secret.',
        confirm: 'Delete webhook',
      });
      if (!sure) return;
      await run(button, 'Could not delete the webhook', async () => {
        await api(`/webhooks/${encodeURIComponent(w.webhookId)}`, { method: 'DELETE' });
        // Its secret, if still shown, signs nothing any more.
        if ([...secretArea.querySelectorAll('[data-webhook-id]')].some((el) => el.dataset.webhookId === w.webhookId)) clear(secretArea);
        // The focus goes to the next webhook's Delete, not to <body>; after the last one, to the form that adds one.
        removeRow(tr, 'delete', () => document.getElementById('webhook-url'));
        if (!table.el.querySelector('tbody tr')) await table.reload(); // the last one: the list says it is empty
        await onChange();
      });
    }
  }

  const secretOnce = (w, what) => shownOnce({
    heading: `${what} for ${w.endpointUrl}`, secret: w.secret, secretClass: 'webhook-secret', copyTitle: 'Copy the signing secret',
    note: 'Receivers verify the webhook-signature header with it (Standard Webhooks).', dataset: { webhookId: w.webhookId },
    onDone: () => clear(secretArea),
  });

  function addForm() {
    const url = h('input#webhook-url', { name: 'endpointUrl', type: 'url', required: true, maxLength: 2048, placeholder: 'https://example.com/hooks/tenx', spellcheck: 'false' });
    // An event type whose data this token may not read cannot be subscribed to (the API's 403): offered, but
    // disabled, saying which scope it takes.
    const missing = (t) => (EVENT_READ_SCOPES[t] ?? []).filter((s) => !allowed(ctx.scopes, s));
    const boxes = EVENT_TYPES.map((t) => h('input', { type: 'checkbox', name: 'eventTypes', value: t, disabled: missing(t).length > 0 }));
    const submit = h('button.btn.btn-primary#webhook-submit', { type: 'submit' }, 'Add webhook');
    const feedback = feedbackBox('div.feedback#webhook-feedback');

    async function onSubmit(e) {
      e.preventDefault();
      clear(feedback);
      const eventTypes = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!eventTypes.length) return void feedback.append(errorBox({ message: 'Tick at least one event type.' }, 'No event type chosen'));
      const done = busy(submit);
      try {
        const w = await api('/webhooks', { method: 'POST', body: { endpointUrl: url.value.trim(), eventTypes } });
        form.reset();
        clear(secretArea, secretOnce(w, 'Signing secret'));
        await changed();
      } catch (err) {
        feedback.append(errorBox(err, 'Could not add the webhook'));
      } finally {
        done();
      }
    }

    const form = h('form.form-grid#webhook-form', { method: 'post', on: { submit: onSubmit } },
      h('div.field', { dataset: { field: 'endpointUrl' } }, h('label', { for: 'webhook-url' }, 'Endpoint URL'), url,
        h('div.hint.muted', {}, 'https, on a public address')),
      h('div.field.field-submit', {}, submit),
      h('div.inline-form.event-types', { role: 'group', 'aria-label': 'Event types' },
        EVENT_TYPES.map((t, i) => {
          const lacks = missing(t);
          return lacks.length
            ? h('label.inline-field.check.muted', { title: `Its events carry data this token may not read: it takes ${lacks.join(' and ')}.` },
              boxes[i], h('code', {}, t), h('span.small', {}, ` (takes ${lacks.join(', ')})`))
            : h('label.inline-field.check', {}, boxes[i], h('code', {}, t));
        })),
      feedback);
    return form;
  }

  return {
    el: card('Webhooks',
      table.el,
      canWrite ? [h('h3.detail-title', {}, 'Add a webhook'), addForm()] : scopeNote('webhooks.write', 'Adding, pinging, rotating and deleting webhooks'),
      secretArea),
  };
}
