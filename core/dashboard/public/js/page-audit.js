// The audit log (audit.read; API.md: every conversion, status change, token, webhook and plugin change): newest first,
// filtered by type, campaign and UTC days kept in the URL, each event's change said in a line (who moved a commission
// from what to what, and why), so a dispute over a commission is settled without curl.

import { query } from './api.js';
import { h, fmt, card, idClass, ID_ATTRS } from './dom.js';
import { pagedTable } from './paged-table.js';
import { dayRangeFilter } from './day-range-filter.js';
import { describeEvent, idTail } from './audit-change.js';

/** The audit log's words (audit-change.js) with the dashboard's money and days. */
const STYLE = { arrow: '→', money: fmt.money, day: fmt.utcDay };

export async function renderAudit(ctx) {
  const asked = (key) => ctx.query?.get(key) ?? '';
  const type = h('input#audit-type', { 'aria-label': 'Event type', placeholder: 'exact type, e.g. commission.status_changed', list: 'audit-types', spellcheck: 'false', maxLength: 64, value: asked('type') });
  const typesSeen = h('datalist#audit-types');
  const campaignId = h('input#audit-campaign', { 'aria-label': 'Campaign id', placeholder: 'campaign id', ...ID_ATTRS, spellcheck: 'false', value: asked('campaignId') });
  const dates = dayRangeFilter('audit', ctx.query);
  const seen = new Set();
  const shownFilters = () => ({ type: type.value.trim() || undefined, campaignId: campaignId.value.trim() || undefined, ...dates.days() });
  const table = pagedTable({
    id: 'audit-table',
    path: '/audit-events',
    columns: ['Time', 'Type', 'Change', 'Subject', 'Actor'],
    params: () => ({ ...shownFilters(), ...dates.window() }),
    // A type is matched whole: "commission" finds nothing (a pass read that as no commission events at all).
    empty: () => (shownFilters().type && !shownFilters().type.includes('.')
      ? `No event has the type "${shownFilters().type}": a type is matched whole, e.g. ${shownFilters().type}.created (the box suggests the types seen).`
      : Object.values(shownFilters()).some(Boolean) ? 'No event matches these filters.' : 'No event yet: conversions, changes and tokens write one each.'),
    row,
  });
  const reload = () => {
    ctx.setQuery?.(query(shownFilters()));
    return table.reload();
  };
  const filterForm = h('form.toolbar#audit-filters', { method: 'post', on: { submit: (e) => { e.preventDefault(); void reload(); } } },
    type, typesSeen, campaignId, dates.el, h('button.btn#audit-apply', { type: 'submit' }, 'Apply'));
  for (const input of dates.inputs) input.addEventListener('change', reload);

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Audit log'),
      h('p.muted', {}, 'Who changed what, newest first: conversions, commission moves with their reasons, payouts, tokens, webhooks and plugins.')), filterForm),
    card('Events', table.el));
  await table.reload();

  function row(e) {
    if (!seen.has(e.type)) {
      seen.add(e.type);
      typesSeen.append(h('option', { value: e.type }));
    }
    return h('tr', { dataset: { eventId: e.eventId, type: e.type } },
      // The day above its time: one line of both took 195 of a phone's 328 pixels and left Change 68 (a pass).
      h('td.small', { title: fmt.utcTime(e.createdAt) }, h('div.nowrap', {}, fmt.utcDay(e.createdAt)), h('div.nowrap.muted', {}, fmt.utcClock(new Date(e.createdAt)))),
      h('td', {}, h('code', {}, e.type)),
      h('td.small.long-text', { dataset: { col: 'change' } }, describeEvent(e, STYLE)),
      h('td.small', {}, e.campaignId ? h(`div${idClass(e.campaignId)}`, {}, e.campaignId) : null, e.subjectId ? h('div.muted.mono', { title: e.subjectId }, idTail(e.subjectId)) : null),
      // The token's name ("owner", "ci", "partner alpha: portal"), its id on hover; an id's tail only for a token since gone.
      e.actorName ? h('td.small', { title: e.actor }, e.actorName) : h('td.small.mono', { title: e.actor }, idTail(e.actor)));
  }
}
