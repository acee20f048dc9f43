// Changing an existing campaign: its partner and its status, in a row under the campaign. The
// PATCH sends only what changed; the API's error (422 unknown_partner, …) shows in place.

import { api } from './api.js';
import { h, clear, errorBox, busy } from './dom.js';
import { partnerInput, partnerValue } from './partner-field.js';
import { confirmStop } from './confirm-stop.js';

const STATUSES = ['ACTIVE', 'PAUSED', 'DRAFT', 'ARCHIVED'];

/** `c` the campaign, `choices` from partnerChoices; `onSaved(updated)` after a 200, `onClose()` on Cancel. */
export function campaignEditor(c, choices, { onSaved, onClose }) {
  const partner = partnerInput('.edit-partner', { name: 'partnerId' }, choices, c.partnerId ?? null);
  const status = h('select.edit-status', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === c.status }, s)));
  const save = h('button.btn.btn-small.btn-primary', { type: 'submit', dataset: { action: 'save' } }, 'Save');
  const feedback = h('div.row-feedback', { 'aria-live': 'polite' });

  async function onSubmit(event) {
    event.preventDefault();
    const body = {};
    if (partnerValue(partner) !== (c.partnerId ?? null)) body.partnerId = partnerValue(partner);
    if (status.value !== c.status) body.status = status.value;
    if (!Object.keys(body).length) return onClose();
    // As the row's Pause button: taking an ACTIVE campaign's link down asks first.
    if (body.status && !(await confirmStop(c, body.status))) return;
    const done = busy(save);
    clear(feedback);
    try {
      onSaved(await api(`/campaigns/${encodeURIComponent(c.campaignId)}`, { method: 'PATCH', body }));
    } catch (err) {
      feedback.append(errorBox(err, `Could not change ${c.campaignId}`));
    } finally {
      done();
    }
  }

  const form = h('form.inline-form.campaign-edit', { method: 'post', dataset: { campaignId: c.campaignId }, on: { submit: onSubmit } },
    h('label.inline-field', {}, h('span', {}, 'Partner'), partner),
    h('label.inline-field', {}, h('span', {}, 'Status'), status),
    save,
    h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'cancel' }, on: { click: () => onClose() } }, 'Cancel'),
    feedback);
  return form;
}
