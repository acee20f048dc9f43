// Partners (manager): list, create, edit, suspend (after a confirmation) or activate, and a
// partner's tokens (list, revoke, issue one shown once).

import { api } from './api.js';
import { h, idClass, clear, errorBox, fmt, card, statusBadge, scopeNote, busy, utcTimeText, ID_ATTRS, feedbackBox } from './dom.js';
import { allowed } from './scopes.js';
import { pagedTable } from './paged-table.js';
import { confirmAction } from './confirm.js';
import { MINIMUM_HINT, partnerEditor } from './partner-editor.js';
import { partnerTokens } from './partner-tokens.js';
import { redrawRow } from './row-focus.js';

/**
 * An email that may wrap after its "@" and before each dot, so a narrow column breaks it there first: with only
 * `overflow-wrap: anywhere` it read "payou/ts@al/pha.e/xampl/e" at 390 pixels. A long part still breaks anywhere.
 */
function emailText(email) {
  return email.split(/(?<=@)|(?=\.)/).flatMap((part, i) => (i ? [h('wbr'), part] : [part]));
}

export async function renderPartners(ctx) {
  const canWrite = allowed(ctx.scopes, 'partners.write');
  const columns = ['Partner', 'Email', 'Status', { title: 'Minimum payout', num: true, hint: MINIMUM_HINT }, 'Created', ''];
  const table = pagedTable({
    id: 'partners-table',
    path: '/partners',
    columns,
    empty: canWrite ? 'No partner yet: create the first one above.' : 'No partner yet.',
    row,
  });
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Partners'),
      h('p.muted', {}, 'Each partner signs in to its own portal with a partner token and sees only its campaigns.'))),
    canWrite ? createCard(() => table.reload()) : scopeNote('partners.write', 'Creating and editing partners and their tokens'),
    card('All partners', table.el));
  await table.reload();

  function row(p) {
    const feedback = feedbackBox();
    const actions = h('td.actions');
    const tr = h('tr', { dataset: { partnerId: p.partnerId } }, cells(), actions);
    let detail = null; // { kind: 'edit'|'tokens', tr } while open
    if (canWrite) renderActions();
    return tr;

    function cells() {
      return [
        h('td', {}, h(`div.strong${idClass(p.partnerId)}`, {}, p.partnerId), h('div.muted.small.long-text', {}, p.name)),
        h('td.small.long-text.email', {}, p.email ? emailText(p.email) : '—'),
        h('td.status', {}, statusBadge(p.status)),
        // Not the reporting currency: the API compares the same amount with each currency's balance.
        h('td.num', { dataset: { col: 'minimumPayout' }, title: MINIMUM_HINT }, fmt.money(p.minimumPayout), h('div.muted.small', {}, 'each currency')),
        h('td.small', {}, utcTimeText(p.createdAt)),
      ];
    }

    function renderActions() {
      const open = (kind) => String(detail?.kind === kind);
      clear(actions,
        h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'edit' }, 'aria-expanded': open('edit'), on: { click: () => toggle('edit') } }, 'Edit'), ' ',
        h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'tokens' }, 'aria-expanded': open('tokens'), on: { click: () => toggle('tokens') } }, 'Tokens'), ' ',
        h('button.btn.btn-small', { type: 'button', dataset: { action: p.status === 'ACTIVE' ? 'suspend' : 'activate' }, on: { click: setStatus } },
          p.status === 'ACTIVE' ? 'Suspend' : 'Activate'),
        feedback);
    }

    /** Redrawn in place: the buttons are new ones, so the focus, if it was on `action`, goes to the new one. */
    function show(updated, action) {
      Object.assign(p, updated);
      redrawRow(tr, action, () => {
        clear(tr, cells(), actions);
        renderActions();
      });
    }

    // The editor or the tokens live in a row of their own under the partner's, as wide as the table.
    function toggle(kind) {
      // Closed with the button that opened it (redrawn), or from inside it: the focus returns to that button.
      if (detail?.kind === kind) return void redrawRow(tr, kind, closeDetail);
      closeDetail();
      clear(feedback);
      const body = kind === 'edit'
        ? partnerEditor(p, {
          onSaved: (updated) => {
            closeBack(() => show(updated));
            feedback.append(h('div.alert.alert-success', { role: 'status' }, 'Saved.'));
          },
          onClose: () => closeBack(),
        })
        : partnerTokens(p, ctx.handle);
      detail = { kind, tr: h('tr.detail.partner-detail', { dataset: { detailFor: p.partnerId, panel: kind } }, h('td', { colSpan: columns.length }, body)) };
      tr.after(detail.tr);
      renderActions();
      detail.tr.querySelector('input')?.focus();
    }
    /** Closes the detail from inside it (Save, Close): the focus goes back to the row's button that opened it. */
    function closeBack(then = () => {}) {
      const { kind, tr: at } = detail;
      redrawRow(at, kind, () => {
        closeDetail();
        then();
        return tr;
      });
    }
    function closeDetail() {
      detail?.tr.remove();
      detail = null;
      renderActions();
    }

    async function setStatus(e) {
      const button = e.currentTarget; // gone from the event once an await has passed
      const status = p.status === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE';
      if (status === 'SUSPENDED' && !(await confirmAction({
        title: `Suspend ${p.partnerId}?`,
        body: [
          'Its links keep redirecting: merchant traffic and conversions never break.',
          'But every new commission it earns is created rejected (reason partner_suspended) until you activate it again. Commissions it already has stay as they are.',
        ],
        confirm: 'Suspend partner',
      }))) return;
      const done = busy(button);
      clear(feedback);
      try {
        // The focus stays where the button was, now its opposite (Suspend → Activate).
        show(await api(`/partners/${encodeURIComponent(p.partnerId)}`, { method: 'PATCH', body: { status } }), status === 'ACTIVE' ? 'suspend' : 'activate');
      } catch (err) {
        done();
        feedback.append(errorBox(err, `Could not change ${p.partnerId}`));
      }
    }
  }

  function createCard(onCreated) {
    const field = (label, input, hint) => h('div.field', {}, h('label', { for: input.id }, label), input, hint ? h('div.hint.muted', {}, hint) : null);
    const partnerId = h('input#new-partner-id', { name: 'partnerId', required: true, ...ID_ATTRS, placeholder: 'alpha-media', spellcheck: 'false' });
    const name = h('input#new-partner-name', { name: 'name', required: true, placeholder: 'Alpha Media' });
    const email = h('input#new-partner-email', { name: 'email', type: 'email', placeholder: 'payouts@alpha.example' });
    const minimum = h('input#new-partner-minimum', { name: 'minimumPayout', type: 'number', min: 0, step: '0.01', placeholder: '0.00' });
    const submit = h('button.btn.btn-primary#new-partner-submit', { type: 'submit' }, 'Create partner');
    const feedback = feedbackBox('div.feedback');
    const form = h('form.form-grid#new-partner', { method: 'post', on: { submit: onSubmit } },
      field('Partner id', partnerId), field('Name', name), field('Email', email), field('Minimum payout', minimum, 'In each currency, not converted'),
      h('div.field.field-submit', {}, submit), feedback);

    async function onSubmit(event) {
      event.preventDefault();
      const done = busy(submit);
      clear(feedback);
      try {
        // The minimum goes as typed: the API parses the decimal, the page does no money arithmetic.
        const created = await api('/partners', { method: 'POST', body: {
          partnerId: partnerId.value.trim(), name: name.value.trim(),
          ...(email.value.trim() && { email: email.value.trim() }),
          ...(minimum.value && { minimumPayout: Number(minimum.value) }),
        } });
        form.reset();
        feedback.append(h('div.alert.alert-success', { role: 'status' }, 'Created ', h('strong', {}, created.partnerId), '.'));
        await onCreated();
      } catch (err) {
        feedback.append(errorBox(err, 'Could not create the partner'));
      } finally {
        done();
      }
    }
    return card('New partner', form);
  }
}
