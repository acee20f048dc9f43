// Changing an existing campaign, in a row under it: its partner, status, destination, title, attribution
// window and maximum conversion value (API.md's PATCH; routing rules stay with the API and the CLI). The
// PATCH sends only what changed; the API's error (400 with the field, 422 unknown_partner, …) shows in place.

import { api } from './api.js';
import { h, clear, errorBox, busy, feedbackBox } from './dom.js';
import { partnerInput, partnerValue } from './partner-field.js';
import { confirmStop } from './confirm-stop.js';

const STATUSES = ['ACTIVE', 'PAUSED', 'DRAFT', 'ARCHIVED'];

/** `c` the campaign, `choices` from partnerChoices; `onSaved(updated)` after a 200, `onClose()` on Cancel. */
export function campaignEditor(c, choices, { onSaved, onClose }) {
  const partner = partnerInput('.edit-partner', { name: 'partnerId' }, choices, c.partnerId ?? null);
  const status = h('select.edit-status', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === c.status }, s)));
  const link = c.primaryLink ?? {};
  // No `required`/`min`/`max` of the browser's: the API says what is wrong, with the field, in the row's feedback.
  const destination = h('input.edit-destination', { name: 'destinationUrl', type: 'text', inputMode: 'url', value: link.destinationUrl ?? '', size: 40, spellcheck: 'false' });
  const title = h('input.edit-title', { name: 'title', type: 'text', value: link.title ?? '', size: 24 });
  const windowDays = h('input.edit-window', { name: 'attributionWindowDays', type: 'number', value: String(c.attributionWindowDays ?? 30), size: 4 });
  const maxValue = h('input.edit-max-value', { name: 'maxConversionValue', type: 'number', step: 'any', value: c.maxConversionValue ?? '', size: 8, placeholder: 'none' });
  const save = h('button.btn.btn-small.btn-primary', { type: 'submit', dataset: { action: 'save' } }, 'Save');
  const feedback = feedbackBox();

  async function onSubmit(event) {
    event.preventDefault();
    const body = {};
    if (partnerValue(partner) !== (c.partnerId ?? null)) body.partnerId = partnerValue(partner);
    if (status.value !== c.status) body.status = status.value;
    if (destination.value.trim() !== (link.destinationUrl ?? '')) body.destinationUrl = destination.value.trim();
    // An emptied title clears it (null), as an emptied maximum lifts it.
    if (title.value.trim() !== (link.title ?? '')) body.title = title.value.trim() || null;
    if (windowDays.value !== String(c.attributionWindowDays ?? 30)) body.attributionWindowDays = numberOrText(windowDays.value);
    if (maxValue.value !== String(c.maxConversionValue ?? '')) body.maxConversionValue = maxValue.value === '' ? null : numberOrText(maxValue.value);
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
    h('label.inline-field', {}, h('span', {}, 'Destination'), destination),
    h('label.inline-field', {}, h('span', {}, 'Title'), title),
    h('label.inline-field', {}, h('span', {}, 'Attribution window (days)'), windowDays),
    h('label.inline-field', {}, h('span', {}, 'Max conversion value'), maxValue),
    save,
    h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'cancel' }, on: { click: () => onClose() } }, 'Cancel'),
    feedback);
  return form;
}

/** A number field's value as a number, or as typed when it is not one (the API's 400 then names the field). */
const numberOrText = (v) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
