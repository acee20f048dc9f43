// Conversions (manager): the recorded conversions with their partner, value, what reversals took
// back and their status; filters kept in the URL; Reverse one (reversal-form.js) with
// conversions.write.

import { api, query } from './api.js';
import { h, clear, fmt, badge, card, idClass, utcTimeText, ID_ATTRS } from './dom.js';
import { allowed } from './scopes.js';
import { pagedTable } from './paged-table.js';
import { reversalForm } from './reversal-form.js';
import { subIdLines } from './ledger-cells.js';
import { dayRangeFilter } from './day-range-filter.js';

const STATUSES = ['', 'recorded', 'partially_reversed', 'reversed'];
const TONES = { recorded: 'good', partially_reversed: 'warn', reversed: 'muted' };
const COLUMNS = ['Recorded', 'Campaign', 'Event', { title: 'Value', num: true }, { title: 'Reversed', num: true }, 'Status', 'Posted'];

export async function renderConversions(ctx) {
  const canWrite = allowed(ctx.scopes, 'conversions.write');
  // The filter lives in the URL (#/conversions?partnerId=alpha&from=2026-12-01): a reload or a shared link shows the same list.
  const asked = (key) => ctx.query?.get(key) ?? '';
  const status = h('select#conversion-status', { 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s, selected: s === asked('status') }, s ? s.replace('_', ' ') : 'All statuses')));
  const campaignId = h('input#conversion-campaign', { 'aria-label': 'Campaign id', placeholder: 'campaign id', ...ID_ATTRS, spellcheck: 'false', value: asked('campaignId') });
  const partnerId = h('input#conversion-partner', { 'aria-label': 'Partner id', placeholder: 'partner id', ...ID_ATTRS, spellcheck: 'false', value: asked('partnerId') });
  // The merchant's order id (the conversion's idempotencyKey): what a refund request names.
  const orderKey = h('input#conversion-order', { 'aria-label': 'Order key', placeholder: 'order key', spellcheck: 'false', maxLength: 255, value: asked('idempotencyKey') });
  const dates = dayRangeFilter('conversion', ctx.query);
  const columns = [...COLUMNS, canWrite ? '' : null].filter((c) => c !== null);

  const shownFilters = () => ({
    status: status.value || undefined, campaignId: campaignId.value.trim() || undefined, partnerId: partnerId.value.trim() || undefined,
    idempotencyKey: orderKey.value.trim() || undefined, ...dates.days(),
  });
  const table = pagedTable({
    id: 'conversions-table',
    path: '/conversions',
    columns,
    params: () => ({ ...shownFilters(), ...dates.window() }),
    empty: () => (Object.values(shownFilters()).some(Boolean) ? 'No conversion matches these filters.'
      : 'No conversion yet: merchants report them for clicks on your short links.'),
    row,
  });
  const reload = () => {
    ctx.setQuery?.(query(shownFilters()));
    return table.reload();
  };
  const filterForm = h('form.toolbar#conversion-filters', { method: 'post', on: { submit: (e) => { e.preventDefault(); void reload(); } } },
    status, campaignId, partnerId, orderKey, dates.el,
    h('button.btn#conversion-apply', { type: 'submit' }, 'Apply'));
  for (const input of [status, ...dates.inputs]) input.addEventListener('change', reload);

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Conversions'),
      h('p.muted', {}, 'What merchants reported, newest first. Reversing one (refund, chargeback) takes its commissions back in proportion.')), filterForm),
    card('All conversions', table.el));
  await table.reload();

  function row(c) {
    const actions = h('td.actions');
    const tr = h('tr', { dataset: { conversionId: c.conversionId, status: c.status } }, cells(), canWrite ? actions : null);
    let detail = null;
    // Reversed whole, it has nothing left to reverse. One without a value (a lead paid a flat amount) is
    // reversed too: whole, once (API.md), its commission with it.
    const reversible = () => c.status !== 'reversed';
    const renderActions = () => clear(actions, reversible()
      ? h('button.btn.btn-small', { type: 'button', dataset: { action: 'reverse' }, 'aria-expanded': String(Boolean(detail)), on: { click: toggle } }, 'Reverse')
      : null);
    if (canWrite) renderActions();
    return tr;

    function toggle() {
      if (detail) return close();
      detail = h('tr.detail.conversion-reversal', { dataset: { reversalFor: c.conversionId } }, h('td', { colSpan: columns.length },
        reversalForm(c, { onReversed: refresh, onClose: close })));
      tr.after(detail);
      renderActions();
      detail.querySelector('input')?.focus();
    }
    function close() {
      detail?.remove();
      detail = null;
      renderActions();
    }

    /** The row shows the conversion's new reversedValue and status; the form and its result stay open below it. */
    async function refresh() {
      const fresh = await api(`/conversions/${encodeURIComponent(c.conversionId)}`).catch(() => null);
      if (!fresh) return;
      Object.assign(c, fresh);
      tr.dataset.status = c.status;
      clear(tr, cells(), canWrite ? actions : null);
      renderActions();
      tr.classList.remove('flash');
      void tr.offsetWidth; // restart the highlight
      tr.classList.add('flash');
    }

    function cells() {
      return [
        // In UTC, as the From/to filter's days are: a conversion the filter of a day lists reads as of that day.
        // On a phone this column stays in view while the others scroll: its value says which row Reverse acts on.
        h('td.small', {}, utcTimeText(c.createdAt), h('div.phone-only.strong.nowrap', {}, fmt.money(c.value, c.currency))),
        h('td', {}, h('div', {}, c.campaignId), h('div.muted.small', {}, c.partnerId ? `partner ${c.partnerId}` : 'no partner'), subIdLines(c)),
        h('td', {}, h('code', {}, c.eventType), c.idempotencyKey ? h(`div.muted.small.order-key${idClass(`order ${c.idempotencyKey}`)}`, { dataset: { col: 'order' }, title: "The merchant's key (order id)" }, `order ${c.idempotencyKey}`) : null),
        h('td.num', { dataset: { col: 'value' } }, fmt.money(c.value, c.currency)),
        h('td.num', { dataset: { col: 'reversed' } }, c.reversedValue ? fmt.money(c.reversedValue, c.currency) : '—'),
        h('td.status', {}, badge(c.status.replace('_', ' '), TONES[c.status])),
        h('td.small', { title: c.authenticated ? "With the merchant's token" : 'With the ctx alone, no merchant token' }, c.authenticated ? 'merchant' : h('span.muted', {}, 'ctx only'), c.clickIsBot ? h('div', {}, badge('bot click', 'bad')) : null),
      ];
    }
  }
}
