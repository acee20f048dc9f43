// Reversing a conversion (a refund, a chargeback): POST .../conversions/reversals, in a row under
// the conversion, named by its conversionId (its order key, shown, could name a newer conversion once
// reused after its retention). One reversalKey per form until it succeeds: a retry after a timeout is
// deduped, never a second reversal. The result shows the reversal and the commission rows it
// created or changed; 422 over_reversal says plainly that nothing was reversed.

import { api } from './api.js';
import { confirmAction } from './confirm.js';
import { h, clear, errorBox, fmt, busy, feedbackBox } from './dom.js';
import { COMMISSION_COLUMNS, commissionCells } from './ledger-cells.js';

const REASONS = ['refund', 'chargeback', 'fraud', 'other'];

/** `c` the conversion; `onReversed(reversal)` after a 200/201, `onClose()` on Cancel. */
export function reversalForm(c, { onReversed, onClose }) {
  let reversalKey = crypto.randomUUID();
  // Without a value, or of value 0 (a lead paid a flat amount), there is no amount to split: the API
  // reverses it whole, once, and refuses any amount.
  const whole = !c.value;
  const amount = h('input.reverse-amount', { name: 'amount', type: 'number', min: 0.01, step: '0.01', placeholder: 'all that remains' });
  const reason = h('select.reverse-reason', { name: 'reason' }, REASONS.map((r) => h('option', { value: r }, r)));
  const note = h('input.reverse-note', { name: 'note', maxLength: 1000, placeholder: 'optional, kept with the reversal' });
  const submit = h('button.btn.btn-small.btn-danger', { type: 'submit', dataset: { action: 'submit-reversal' } }, 'Reverse');
  const result = feedbackBox('div.reversal-result');

  /** What the click will take back, in words (the page does no arithmetic on money: what remains is the API's to say). */
  function what() {
    const order = c.idempotencyKey ? ` of order ${c.idempotencyKey}` : '';
    if (whole) return `Reverse this conversion${order} whole (${reason.value}).`;
    if (amount.value) return `Reverse ${fmt.money(Number(amount.value), c.currency)}${order} (${reason.value}).`;
    const before = c.reversedValue ? `, ${fmt.money(c.reversedValue, c.currency)} of it reversed before` : '';
    return `Reverse all that remains${order} (${reason.value}): its value is ${fmt.money(c.value, c.currency)}${before}.`;
  }

  async function onSubmit(event) {
    event.preventDefault();
    const done = busy(submit);
    clear(result);
    // It changes what the partner earns, and cannot be undone: said first, with Cancel focused.
    const sure = await confirmAction({
      title: 'Reverse this conversion?',
      body: [what(),
        "Its commission is reversed or adjusted in proportion; one already paid is clawed back from the partner's next payout. " +
          'A pending payout holding it pays that much less, or is canceled when what is left would not be paid (nothing, or below the ' +
          "partner's minimum payout): its other lines wait for the next run.",
        'A reversal cannot be undone.'],
      confirm: 'Reverse',
    });
    if (!sure) {
      done();
      return;
    }
    try {
      const res = await api('/conversions/reversals', { method: 'POST', raw: true, body: {
        conversionId: c.conversionId, reversalKey, reason: reason.value,
        ...(!whole && amount.value && { amount: Number(amount.value) }),
        ...(note.value.trim() && { note: note.value.trim() }),
      } });
      const reversal = await res.json();
      reversalKey = crypto.randomUUID();
      amount.value = '';
      note.value = '';
      result.append(shown(reversal));
      await onReversed(reversal);
    } catch (err) {
      result.append(...(err?.code === 'over_reversal'
        ? [errorBox(err, 'Nothing was reversed: that is more than what remains of this conversion'),
          h('p.small.muted', {}, `Its value: ${fmt.money(c.value, c.currency)}; reversed so far: ${fmt.money(c.reversedValue, c.currency)}.`,
            c.status === 'reversed' ? ' Nothing remains to reverse.' : ' Leave the amount empty to reverse all that remains.')]
        : [errorBox(err, 'Could not reverse the conversion')]));
    } finally {
      done();
      // Reversed whole (this time or before): nothing is left, so the form offers nothing more and its result stays.
      if (c.status === 'reversed') {
        submit.disabled = true;
        submit.title = 'Reversed whole: nothing remains';
      }
    }
  }

  function shown(r) {
    return h('div.alert.alert-success.reversal-done', { role: 'status', dataset: { reversalId: r.reversalId } },
      h('strong', {}, r.deduped ? 'Already reversed with this key: ' : 'Reversed ', whole ? 'whole' : fmt.money(r.amount, r.currency), ` (${r.reason})`),
      r.note ? h('p.small.long-text', {}, r.note) : null,
      h('p.small', {}, r.commissions.length ? 'Commission rows it created or changed:' : 'No commission row changed (this conversion earned none).'),
      r.commissions.length ? h('div.table-wrap', {}, h('table.table.reversal-commissions', {},
        h('thead', {}, h('tr', {}, COMMISSION_COLUMNS.map((col) => (typeof col === 'string' ? h('th', {}, col) : h(col.num ? 'th.num' : 'th', {}, col.title))))),
        h('tbody', {}, r.commissions.map((cm) => h('tr', { dataset: { commissionId: cm.commissionId, type: cm.type, status: cm.status } }, commissionCells(cm)))))) : null);
  }

  const form = h('form.inline-form.reversal-form', { method: 'post', dataset: { conversionId: c.conversionId }, on: { submit: onSubmit } },
    h('div.inline-field', {}, h('span', {}, 'Order key'), h('code.reverse-key.long-text', {}, c.idempotencyKey ?? '—')),
    whole
      ? h('div.inline-field', {}, h('span', {}, 'Amount'), h('span.small', {}, 'none: it is reversed whole'))
      : h('label.inline-field', {}, h('span', {}, `Amount${c.currency ? ` (${c.currency})` : ''}`), amount),
    h('label.inline-field', {}, h('span', {}, 'Reason'), reason),
    h('label.inline-field', {}, h('span', {}, 'Note'), note),
    submit,
    h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'cancel' }, on: { click: () => onClose() } }, 'Close'));
  return h('div.reversal', {}, form, result);
}
