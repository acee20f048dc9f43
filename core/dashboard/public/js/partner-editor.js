// Changing a partner's name, email and minimum payout, in a row under the partner. The PATCH sends
// only what changed (an emptied email is null); the API's error (400 with its fields) shows in place.

import { api } from './api.js';
import { h, clear, errorBox, busy, feedbackBox } from './dom.js';

/**
 * What the minimum is (API.md, Payouts): a bare amount with no currency of its own; a run pays a partner
 * one payout per currency, each when that currency's balance reaches it (50 means 50 USD, 50 EUR...).
 */
export const MINIMUM_HINT = 'Applies to each currency on its own, never converted: 50 means 50 USD for a USD payout, 50 EUR for a EUR one.';

/** `p` the partner; `onSaved(updated)` after a 200, `onClose()` on Cancel or when nothing changed. */
export function partnerEditor(p, { onSaved, onClose }) {
  const name = h('input.edit-name', { name: 'name', required: true, maxLength: 200, value: p.name });
  const email = h('input.edit-email', { name: 'email', type: 'email', maxLength: 320, value: p.email ?? '', placeholder: 'none' });
  // Typed and sent as the decimal it is: the API keeps two fraction digits, the page adds nothing up.
  const minimum = h('input.edit-minimum', { name: 'minimumPayout', type: 'number', min: 0, step: '0.01', required: true, value: String(p.minimumPayout) });
  const save = h('button.btn.btn-small.btn-primary', { type: 'submit', dataset: { action: 'save' } }, 'Save');
  const feedback = feedbackBox();

  async function onSubmit(event) {
    event.preventDefault();
    const body = {};
    if (name.value.trim() !== p.name) body.name = name.value.trim();
    if ((email.value.trim() || null) !== (p.email ?? null)) body.email = email.value.trim() || null;
    if (Number(minimum.value) !== p.minimumPayout) body.minimumPayout = Number(minimum.value);
    if (!Object.keys(body).length) return onClose();
    const done = busy(save);
    clear(feedback);
    try {
      onSaved(await api(`/partners/${encodeURIComponent(p.partnerId)}`, { method: 'PATCH', body }));
    } catch (err) {
      feedback.append(errorBox(err, `Could not change ${p.partnerId}`));
    } finally {
      done();
    }
  }

  return h('form.inline-form.partner-edit', { method: 'post', dataset: { partnerId: p.partnerId }, on: { submit: onSubmit } },
    h('label.inline-field', {}, h('span', {}, 'Name'), name),
    h('label.inline-field', {}, h('span', {}, 'Email'), email),
    h('label.inline-field', { title: MINIMUM_HINT }, h('span', {}, 'Minimum payout (each currency)'), minimum),
    save,
    h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'cancel' }, on: { click: () => onClose() } }, 'Cancel'),
    feedback);
}
