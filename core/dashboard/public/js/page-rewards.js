// Reward rules (manager): the rules that turn clicks and conversions into commissions; create or
// replace one (reward-form.js), delete one after a confirmation. The most specific rule wins.

import { api } from './api.js';
import { h, idClass, clear, errorBox, fmt, card, scopeNote, busy, utcTimeText, feedbackBox } from './dom.js';
import { allowed } from './scopes.js';
import { pagedTable } from './paged-table.js';
import { confirmAction } from './confirm.js';
import { rewardForm } from './reward-form.js';
import { removeRow } from './row-focus.js';
import { rewardScope, rewardScopeParts } from './reward-scope.js';

/**
 * The scope in the table: each part on a line of its own, a short id whole (at 1280 pixels "campaign gamma-winter-sale-2026 ·
 * partner gamma-media-network" broke at every hyphen, over seven lines).
 */
function scopeLines(scope) {
  const parts = rewardScopeParts(scope);
  return parts.length ? parts.map(([kind, id]) => h('div', {}, `${kind} `, h(`span${idClass(id)}`, {}, id))) : rewardScope(scope);
}

/** The reward as the API gives it: a flat amount in its currency, or a percent of the value. */
function rewardText(r) {
  const per = r.event === 'click' ? 'per qualified click' : 'per conversion';
  return r.type === 'flat' ? [fmt.money(r.amount, r.currency), h('div.muted.small', {}, per)] : [`${r.percent} %`, h('div.muted.small', {}, "of the conversion's value")];
}

export async function renderRewards(ctx) {
  const canWrite = allowed(ctx.scopes, 'commissions.write');
  const table = pagedTable({
    id: 'rewards-table',
    path: '/rewards',
    columns: ['Rule', 'Scope', 'Event', { title: 'Reward', num: true }, { title: 'Hold', num: true }, 'Updated', canWrite ? '' : null].filter((c) => c !== null),
    empty: canWrite ? 'No rule yet: without one, nothing earns a commission. Create the first above.' : 'No rule yet: nothing earns a commission.',
    row,
  });
  const form = canWrite ? await rewardForm(ctx, { onSaved: () => table.reload() }) : null;
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Reward rules'),
      h('p.muted', {}, 'The most specific rule pays: partner + campaign, then campaign, then partner, then the whole handle. One rule per scope and event.'))),
    form ? form.el : scopeNote('commissions.write', 'Creating, replacing and deleting rules'),
    card('All rules', table.el));
  await table.reload();

  function row(r) {
    const feedback = feedbackBox();
    const tr = h('tr', { dataset: { rewardId: r.rewardId } },
      h('td', {}, h(`div.strong${idClass(r.rewardId)}`, {}, r.rewardId)),
      h('td.small', { dataset: { col: 'scope' } }, scopeLines(r.scope)),
      h('td', {}, h('code', {}, r.event)),
      h('td.num', { dataset: { col: 'reward' } }, rewardText(r)),
      h('td.num', {}, `${fmt.int(r.holdDays)} d`),
      h('td.small', {}, utcTimeText(r.updatedAt)),
      canWrite ? h('td.actions', {},
        h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'edit' }, on: { click: () => form.edit(r) } }, 'Edit'), ' ',
        h('button.btn.btn-small', { type: 'button', dataset: { action: 'delete' }, on: { click: remove } }, 'Delete'),
        feedback) : null);
    return tr;

    async function remove(e) {
      const button = e.currentTarget; // gone from the event once an await has passed
      if (!(await confirmAction({
        title: `Delete the rule ${r.rewardId}?`,
        body: [`${rewardScope(r.scope)}, ${r.event}.`,
          'Events after this earn nothing from it (a less specific rule, if any, applies instead). Commissions it already created stay as they are.'],
        confirm: 'Delete rule',
      }))) return;
      const done = busy(button);
      clear(feedback);
      try {
        await api(`/rewards/${encodeURIComponent(r.rewardId)}`, { method: 'DELETE' });
        removeRow(tr, 'delete', () => document.getElementById('reward-id')); // after the last rule, the form that creates one
        if (!table.el.querySelector('tbody tr')) await table.reload();
      } catch (err) {
        done();
        feedback.append(errorBox(err, `Could not delete ${r.rewardId}`));
      }
    }
  }
}
