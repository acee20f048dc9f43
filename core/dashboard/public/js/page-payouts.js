// Payouts (manager): run payouts (idempotent by key), download a payout's statement, mark it paid
// with the bank reference, or cancel it.

import { api, query } from './api.js';
import { h, clear, errorBox, card, scopeNote, busy, fmt, say, feedbackBox } from './dom.js';
import { confirmAction } from './confirm.js';
import { allowed } from './scopes.js';
import { pagedTable } from './paged-table.js';
import { PAYOUT_COLUMNS, payoutCells, statementButton } from './ledger-cells.js';
import { redrawRow } from './row-focus.js';

// The run form's fields as the API names them (errorBox): its own labels, and the key it makes itself as the run it stands for.
const RUN_FIELDS = { '/body/periodEnd': 'Period end', '/body/partnerIds': 'Partners', '/body/idempotencyKey': 'this run' };

export async function renderPayouts(ctx) {
  const canWrite = allowed(ctx.scopes, 'payouts.write');
  const feedback = feedbackBox('div.feedback#payout-feedback');
  const table = pagedTable({
    id: 'payouts-table',
    path: '/payouts',
    columns: [...PAYOUT_COLUMNS, ''],
    empty: canWrite ? 'No payout yet: Run payouts above creates them from approved commissions.' : 'No payout yet.',
    row,
  });
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Payouts'),
      h('p.muted', {}, 'One payout per partner and currency over approved, unpaid commissions at or above the partner\'s minimum.'))),
    canWrite ? runCard() : scopeNote('payouts.write', 'Running payouts and marking them paid'),
    feedback,
    card('All payouts', table.el));
  await table.reload();

  function runCard() {
    // One key per run form: a double click or a retry after a timeout returns the same payouts (API: same key → 200).
    let key = crypto.randomUUID();
    // At most today (UTC): a later period end pays commissions whose hold has not ended yet, so a refund within the
    // hold would become a clawback (a dashboard pass ran one for a date two weeks ahead). The API still takes one.
    const periodEnd = h('input#payout-period-end', { type: 'date', 'aria-label': 'Period end', max: new Date().toISOString().slice(0, 10) });
    const partners = h('input#payout-partners', { placeholder: 'all partners, or ids separated by commas', spellcheck: 'false' });
    const submit = h('button.btn.btn-primary#payout-run', { type: 'submit' }, 'Run payouts');
    const field = (label, input, hint) => h('div.field', {}, h('label', { for: input.id }, label), input, hint ? h('div.hint.muted', {}, hint) : null);
    const form = h('form.form-grid#payout-run-form', { method: 'post', on: { submit: onSubmit } },
      field('Period end (UTC, end of day)', periodEnd, 'Empty: now'), field('Partners', partners), h('div.field.field-submit', {}, submit));

    async function onSubmit(event) {
      event.preventDefault();
      const done = busy(submit);
      clear(feedback);
      // Each id once: "alpha, alpha" is the same run (the API refuses a list with a repeat).
      const ids = [...new Set(partners.value.split(',').map((s) => s.trim()).filter(Boolean))];
      try {
        const answer = await api('/payouts', { method: 'POST', raw: true, body: {
          idempotencyKey: key,
          // Today's end would pay commissions whose hold ends later today: today is "now" (the API's default).
          ...(periodEnd.value && periodEnd.value < new Date().toISOString().slice(0, 10) && { periodEnd: `${periodEnd.value}T23:59:59.999Z` }),
          ...(ids.length && { partnerIds: ids }),
        } });
        const res = await answer.json();
        key = crypto.randomUUID();
        const n = res.data.length;
        // Nothing created is no success: said in the neutral box, not the green one (a dashboard pass).
        say(feedback, answer.headers.get('idempotency-mismatch') === 'true' ? ranBefore(n) : h(n ? 'div.alert.alert-success' : 'div.alert.alert-info', { role: 'status' }, n
          ? `${n} ${n === 1 ? 'payout' : 'payouts'} created.`
          // Approved is not enough: a run pays what is due by the period end, and a commission
          // approved by hand keeps its hold (the old wording sent people looking for approvals).
          // Two causes, each with its own remedy: one sentence offering a later period end for both misled when it was the minimum.
          : h('div', {}, h('strong', {}, 'No payout created.'), h('ul.small', {},
            h('li', {}, 'Nothing approved was due by the period end: a commission approved by hand keeps its hold, and is paid by the first run after it ends (its Hold until on the Commissions page). To pay one before, give a period end after its hold: tenx payouts run --period-end <date>, or the API (this form stops at today).'),
            h('li', {}, "Or what is due is below the partner's minimum payout (see Partners), or not above 0 after a clawback: either carries forward to a later run.")))));
        await table.reload();
      } catch (err) {
        say(feedback, errorBox(err, 'Could not run payouts', RUN_FIELDS));
      } finally {
        done();
      }
    }
    return card('Run payouts', form);
  }

  /**
   * The form's key was sent before with another period end or other partners, and that answer was lost (a timeout, a
   * dropped connection): the API answered that run's payouts again and paid nothing new (Idempotency-Mismatch). No
   * success of the settings shown; the form has a new key, so the next press runs them.
   */
  function ranBefore(n) {
    return h('div.alert.alert-info', { role: 'status', dataset: { mismatch: '' } },
      h('strong', {}, 'This run was already submitted with other settings.'),
      h('p', {}, `Nothing new was paid${n ? `: that run's ${n === 1 ? 'payout is' : `${n} payouts are`} in the list below` : ''}. `,
        'Press Run payouts again to start a new run with these settings.'));
  }

  function row(p) {
    const rowFeedback = feedbackBox();
    const actions = h('td.actions');
    const tr = h('tr', { dataset: { payoutId: p.payoutId, status: p.status } }, payoutCells(p), actions);
    const reference = h('input.reference', { placeholder: 'reference', 'aria-label': 'Payment reference', maxLength: 255 });
    clear(actions,
      statementButton(`/payouts/${encodeURIComponent(p.payoutId)}`, `tenx-${ctx.handle}-payout-${p.partnerId}-${p.payoutId.slice(0, 8)}.csv`, rowFeedback),
      canWrite && p.status === 'pending' ? [
        h('div.pay-row', {}, reference,
          h('button.btn.btn-small.btn-primary', { type: 'button', dataset: { action: 'mark-paid' }, on: { click: (e) => act(e, 'mark-paid') } }, 'Mark paid'),
          h('button.btn.btn-small', { type: 'button', dataset: { action: 'cancel' }, on: { click: (e) => act(e, 'cancel') } }, 'Cancel')),
      ] : null,
      // By hand or by a refund: the payout has no field for it, the audit log says who and why (a journey pass found no reason shown).
      p.status === 'canceled' && allowed(ctx.scopes, 'audit.read')
        ? h('a.small.why-canceled', { href: `#/audit${query({ type: 'payout.canceled', from: p.createdAt.slice(0, 10) })}` }, 'Why canceled: audit log')
        : null,
      rowFeedback);
    return tr;

    async function act(e, action) {
      const button = e.currentTarget; // gone from the event once an await has passed
      // Busy from the first click: the read below leaves a gap in which a double click opened two dialogs.
      const done = busy(button);
      clear(rowFeedback);
      // The payout as it is now, and its ETag: a refund can take a line out of a pending payout (or cancel it) after
      // the list was drawn. The dialog names what is paid now, and the click pays only that (If-Match, else 412).
      let now;
      let etag;
      try {
        const res = await api(`/payouts/${encodeURIComponent(p.payoutId)}`, { raw: true });
        [now, etag] = [await res.json(), res.headers.get('etag')];
      } catch (err) {
        done();
        say(rowFeedback, errorBox(err, 'Could not read the payout'));
        return;
      }
      const changed = now.status !== p.status || String(now.amount) !== String(p.amount) || now.commissionCount !== p.commissionCount;
      if (changed) {
        say(redrawn(now).querySelector('.row-feedback'), h('div.alert.alert-info', { role: 'status' },
          `This payout changed since the list was shown (a refund changed what it pays, or it was paid or canceled): it is now ${now.status}, ${fmt.money(now.amount, now.currency)} over ${now.commissionCount} line${now.commissionCount === 1 ? '' : 's'}.`));
        return;
      }
      // Neither can be undone: a paid payout stays paid, a canceled one is gone (its commissions go back to approved).
      const amount = fmt.money(p.amount, p.currency);
      const ref = reference.value.trim();
      if (!(await confirmAction(action === 'mark-paid'
        ? {
            title: `Mark ${amount} to ${p.partnerId} paid?`,
            body: [ref ? `With the reference ${ref}.` : 'Without a payment reference: type the bank\'s reference in the box first to keep it with the payout.',
              'A paid payout cannot be canceled or paid again; its commissions become paid, and the partner sees them so.'],
            // Not "Cancel": beside the row's Cancel (of the payout) it read as canceling the payout.
            confirm: 'Mark paid', tone: 'primary', keep: 'Not now',
          }
        : {
            title: `Cancel the payout of ${amount} to ${p.partnerId}?`,
            body: 'Its commissions go back to approved: a later payout run pays them again, once they are due and above the partner\'s minimum.',
            confirm: 'Cancel payout', keep: 'Keep it',
          }))) {
        done();
        return;
      }
      clear(rowFeedback);
      try {
        // mark-paid takes {reference?}; cancel takes no body.
        const body = action === 'mark-paid' ? (reference.value.trim() ? { reference: reference.value.trim() } : {}) : undefined;
        const updated = await api(`/payouts/${encodeURIComponent(p.payoutId)}/${action}`, { method: 'POST', body, headers: etag ? { 'if-match': etag } : {} });
        redrawRow(tr, action, () => {
          const fresh = row(updated);
          fresh.classList.add('flash');
          tr.replaceWith(fresh);
          return fresh;
        });
      } catch (err) {
        done();
        const why = errorBox(err, action === 'mark-paid' ? 'Could not mark it paid' : 'Could not cancel it');
        // Changed while the dialog was open (412): the row shows the payout as it is now, the refusal under it.
        const now = err?.status === 412 ? await api(`/payouts/${encodeURIComponent(p.payoutId)}`).catch(() => null) : null;
        say(now ? redrawn(now).querySelector('.row-feedback') : rowFeedback, why);
      }
    }

    /** The row drawn anew as the payout is now, the reference typed into it kept (a journey pass had to type it again). */
    function redrawn(now) {
      const fresh = row(now);
      const typed = fresh.querySelector('input.reference');
      if (typed) typed.value = reference.value;
      tr.replaceWith(fresh);
      return fresh;
    }
  }
}
