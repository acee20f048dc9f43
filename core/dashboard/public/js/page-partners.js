// Partners (manager): list, create, suspend/activate, and issue a partner token shown once.

import { api } from './api.js';
import { h, clear, errorBox, fmt, card, statusBadge, scopeNote } from './dom.js';
import { allowed } from './scopes.js';
import { pagedTable } from './paged-table.js';
import { copyButton } from './page-campaigns.js';

export async function renderPartners(ctx) {
  const canWrite = allowed(ctx.scopes, 'partners.write');
  const issued = h('div#partner-token-issued', { 'aria-live': 'polite' });
  const table = pagedTable({
    id: 'partners-table',
    path: '/partners',
    columns: ['Partner', 'Email', 'Status', { title: 'Minimum payout', num: true }, 'Created', ''],
    empty: canWrite ? 'No partner yet: create the first one above.' : 'No partner yet.',
    row,
  });
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Partners'),
      h('p.muted', {}, 'Each partner signs in to its own portal with a partner token and sees only its campaigns.'))),
    canWrite ? createCard(() => table.reload()) : scopeNote('partners.write', 'Creating partners and issuing tokens'),
    issued,
    card('All partners', table.el));
  await table.reload();

  function row(p) {
    const feedback = h('div.row-feedback');
    const statusCell = h('td.status', {}, statusBadge(p.status));
    const actions = h('td.actions');
    const tr = h('tr', { dataset: { partnerId: p.partnerId } },
      h('td', {}, h('div.strong.nowrap', {}, p.partnerId), h('div.muted.small', {}, p.name)),
      h('td.small', {}, p.email ?? '—'),
      statusCell,
      h('td.num', {}, fmt.money(p.minimumPayout, ctx.currency)),
      h('td.small.nowrap', {}, fmt.time(p.createdAt)),
      actions);
    const render = () => clear(actions,
      h('button.btn.btn-small', { type: 'button', dataset: { action: p.status === 'ACTIVE' ? 'suspend' : 'activate' }, on: { click: toggle } },
        p.status === 'ACTIVE' ? 'Suspend' : 'Activate'),
      ' ',
      h('button.btn.btn-small.btn-primary', { type: 'button', dataset: { action: 'token' }, on: { click: issue } }, 'Issue token'),
      feedback);
    if (canWrite) render();
    return tr;

    async function toggle(e) {
      const button = e.currentTarget; // gone from the event once an await has passed
      button.disabled = true;
      clear(feedback);
      try {
        Object.assign(p, await api(`/partners/${encodeURIComponent(p.partnerId)}`, { method: 'PATCH', body: { status: p.status === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE' } }));
        clear(statusCell, statusBadge(p.status));
        render();
      } catch (err) {
        button.disabled = false;
        feedback.append(errorBox(err, `Could not change ${p.partnerId}`));
      }
    }

    async function issue(e) {
      const button = e.currentTarget; // gone from the event once an await has passed
      button.disabled = true;
      clear(feedback);
      try {
        const t = await api(`/partners/${encodeURIComponent(p.partnerId)}/tokens`, { method: 'POST', body: { name: `portal ${new Date().toISOString().slice(0, 10)}` } });
        clear(issued, tokenShownOnce(p, t));
        issued.scrollIntoView({ block: 'nearest' });
      } catch (err) {
        feedback.append(errorBox(err, `Could not issue a token for ${p.partnerId}`));
      } finally {
        button.disabled = false;
      }
    }
  }

  function tokenShownOnce(p, t) {
    return h('div.alert.alert-success.token-once', { role: 'status' },
      h('strong', {}, `Partner token for ${p.partnerId}: copy it now, it is not shown again`),
      h('div.link-cell', {}, h('code.secret#issued-token', {}, t.token), copyButton(t.token)),
      h('p.small', {}, `The partner signs in at ${location.origin}/dashboard with handle `, h('code', {}, ctx.handle), ' and this token.'),
      h('button.btn.btn-small.btn-ghost', { type: 'button', on: { click: () => clear(issued) } }, 'Done, hide it'));
  }

  function createCard(onCreated) {
    const field = (label, input) => h('div.field', {}, h('label', { for: input.id }, label), input);
    const partnerId = h('input#new-partner-id', { name: 'partnerId', required: true, pattern: '[a-z0-9][a-z0-9\\-]{0,63}', placeholder: 'alpha-media', spellcheck: 'false' });
    const name = h('input#new-partner-name', { name: 'name', required: true, placeholder: 'Alpha Media' });
    const email = h('input#new-partner-email', { name: 'email', type: 'email', placeholder: 'payouts@alpha.example' });
    const minimum = h('input#new-partner-minimum', { name: 'minimumPayout', type: 'number', min: 0, step: '0.01', placeholder: '0.00' });
    const submit = h('button.btn.btn-primary#new-partner-submit', { type: 'submit' }, 'Create partner');
    const feedback = h('div.feedback', { 'aria-live': 'polite' });
    const form = h('form.form-grid#new-partner', { method: 'post', on: { submit: onSubmit } },
      field('Partner id', partnerId), field('Name', name), field('Email', email), field('Minimum payout', minimum),
      h('div.field.field-submit', {}, submit), feedback);

    async function onSubmit(event) {
      event.preventDefault();
      submit.disabled = true;
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
        submit.disabled = false;
      }
    }
    return card('New partner', form);
  }
}
