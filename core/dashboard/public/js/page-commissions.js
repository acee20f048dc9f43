// Commissions (manager): filter the ledger, see the summary by status and currency over the whole
// filter, approve or reject one or many with a reason (every move is audited by the API).

import { api, query } from './api.js';
import { h, clear, errorBox, card, scopeNote, fmt, ID_ATTRS, say, feedbackBox } from './dom.js';
import { allowed } from './scopes.js';
import { pagedTable } from './paged-table.js';
import { COMMISSION_COLUMNS, commissionCells, summaryCards } from './ledger-cells.js';
import { dayRangeFilter } from './day-range-filter.js';
import { redrawRow } from './row-focus.js';

const STATUSES = ['', 'pending', 'approved', 'paid', 'rejected', 'reversed'];
const TYPES = ['', 'click', 'conversion', 'adjustment', 'clawback'];

export async function renderCommissions(ctx) {
  const canWrite = allowed(ctx.scopes, 'commissions.write');
  // The filter lives in the URL (#/commissions?status=pending&from=2026-12-01): a reload, Back from
  // another page or a shared link shows the same ledger, not the whole of it.
  const asked = (key, allowedValues) => (allowedValues.includes(ctx.query?.get(key) ?? '') ? ctx.query.get(key) ?? '' : '');
  const status = h('select#commission-status', { 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s, selected: s === asked('status', STATUSES) }, s || 'All statuses')));
  const type = h('select#commission-type', { 'aria-label': 'Type' }, TYPES.map((s) => h('option', { value: s, selected: s === asked('type', TYPES) }, s || 'All types')));
  const partnerId = h('input#commission-partner', { 'aria-label': 'Partner id', placeholder: 'partner id', ...ID_ATTRS, spellcheck: 'false', value: ctx.query?.get('partnerId') ?? '' });
  const campaignId = h('input#commission-campaign', { 'aria-label': 'Campaign id', placeholder: 'campaign id', ...ID_ATTRS, spellcheck: 'false', value: ctx.query?.get('campaignId') ?? '' });
  const dates = dayRangeFilter('commission', ctx.query);
  // A filter the API refuses (a From after the To) is said beside the form, not at the foot of the ledger.
  const filterFeedback = feedbackBox('div.feedback#commission-filter-feedback');
  const apply = h('button.btn#commission-apply', { type: 'submit' }, 'Apply');
  const stats = h('div.stats#commission-summary');
  const reason = h('input#commission-reason', { 'aria-label': 'Reason', placeholder: 'Reason (required, audited; the partner sees it)', maxLength: 500 });
  const selectedCount = h('span.muted.small#commission-selected', {}, '0 selected');
  const actionFeedback = feedbackBox('div.feedback#commission-feedback');
  const selected = new Set();
  const rows = new Map(); // commissionId → { c, tr }
  const boxes = () => [...rows.values()].map(({ tr }) => tr.querySelector('input.select')).filter(Boolean);
  // Every row shown (the pages loaded so far), for one bulk move: ticking 30 pending rows took 30 clicks.
  const selectAll = h('input#commission-select-all', {
    type: 'checkbox', 'aria-label': 'Select every commission shown',
    on: {
      change: () => {
        for (const box of boxes()) {
          box.checked = selectAll.checked;
          const id = box.closest('tr').dataset.commissionId;
          if (selectAll.checked) selected.add(id);
          else selected.delete(id);
        }
        updateSelected();
      },
    },
  });

  // As the URL keeps them (days); filters() as the API takes them (the instants bounding those days).
  const shownFilters = () => ({
    status: status.value || undefined, type: type.value || undefined,
    partnerId: partnerId.value.trim() || undefined, campaignId: campaignId.value.trim() || undefined,
    ...dates.days(),
  });
  const filters = () => ({ ...shownFilters(), ...dates.window() });
  const table = pagedTable({
    id: 'commissions-table',
    path: '/commissions',
    columns: [canWrite ? { title: selectAll } : null, ...COMMISSION_COLUMNS, canWrite ? '' : null].filter((c) => c !== null),
    params: filters,
    errors: filterFeedback,
    // Unfiltered, the ledger is empty because nothing earned yet: say what creates the first row.
    empty: () => (Object.values(shownFilters()).some(Boolean) ? 'No commission matches these filters.'
      : 'No commission yet: reward rules create them from qualified clicks and conversions.'),
    onPage: (res) => clear(stats, summaryCards(res.summary, ctx.currency)),
    onLoad: () => updateSelected(), // a page loaded after "select all" brings rows not selected
    row,
  });

  const reload = () => {
    clear(actionFeedback); // it spoke of rows the new filter may not show
    clear(stats); // and this of the old filter's totals (a refused filter has none)
    selected.clear();
    rows.clear();
    updateSelected();
    ctx.setQuery?.(query(shownFilters()));
    return table.reload();
  };
  const filterForm = h('form.toolbar#commission-filters', { method: 'post', on: { submit: (e) => { e.preventDefault(); void reload(); } } },
    status, type, partnerId, campaignId, dates.el, apply);
  for (const input of [status, type, ...dates.inputs]) input.addEventListener('change', reload);

  const bulkBar = canWrite
    ? h('div.action-bar#commission-actions', {},
      reason,
      h('button.btn.btn-primary#bulk-approve', { type: 'button', on: { click: () => bulk('approved') } }, 'Approve selected'),
      h('button.btn#bulk-reject', { type: 'button', on: { click: () => bulk('rejected') } }, 'Reject selected'),
      selectedCount)
    : scopeNote('commissions.write', 'Approving and rejecting');

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Commissions'),
      h('p.muted', {}, 'Pending → approved (hold passed, or by hand) → paid with a payout. Rejections and approvals need a reason.')), filterForm),
    filterFeedback,
    stats,
    card('Ledger', bulkBar, actionFeedback, table.el));

  function updateSelected() {
    selectedCount.textContent = `${selected.size} selected`;
    const all = boxes();
    selectAll.checked = all.length > 0 && all.every((b) => b.checked);
  }

  function row(c) {
    // Adjustments and clawbacks follow their conversion's commission: they are never moved by hand (the API answers 409).
    const follows = c.type === 'adjustment' || c.type === 'clawback';
    // A day's click row grows with the day's clicks: the API approves it once the UTC day has ended (409 before), so
    // today's offers no Approve (a dashboard pass pressed it and met the 409), nor a box for the bulk approval.
    // Its day is its clicks' (the API does not send it): the day the row was first written, off by one only for clicks
    // of a day's last instants written after midnight (then Approve shows a day late). Rejected rows too (a suspended
    // partner's, or one rejected by mistake): the API approves neither before the day ends.
    const openDay = c.type === 'click' && (c.status === 'pending' || c.status === 'rejected') && String(c.createdAt).slice(0, 10) === new Date().toISOString().slice(0, 10);
    // A paid or reversed commission never moves by hand: its box let a bulk move select it and answer "1 refused" by an id
    // the table never shows (a dashboard pass). An approved one keeps its box: approving it again is "already was".
    const settled = c.status !== 'pending' && c.status !== 'rejected' && c.status !== 'approved';
    const box = follows
      // Not an arrow: newest first, the row above is seldom the commission it follows (a UI pass read ↳ so).
      ? h('span.muted.small', { title: "Moves with its conversion's commission", 'aria-label': "Moves with its conversion's commission" }, '—')
      : settled
        ? h('span.muted.small', { title: `A ${c.status} commission no longer moves by hand`, 'aria-label': `A ${c.status} commission no longer moves by hand` }, '—')
      : openDay
        ? h('span.muted.small', { title: 'Approvable once its UTC day has ended', 'aria-label': 'Approvable once its UTC day has ended' }, '—')
        : h('input.select', { type: 'checkbox', 'aria-label': `Select ${c.commissionId}`, on: { change: (e) => { e.target.checked ? selected.add(c.commissionId) : selected.delete(c.commissionId); updateSelected(); } } });
    // Stacked: side by side they widened the ledger past a 1280-pixel window, hiding Reject off to the right.
    const actions = h('td.actions', {}, h('div.row-actions', {},
      openDay ? h('span.muted.small', { dataset: { note: 'open-day' }, title: "Today's clicks still add to it" }, 'approvable after today (UTC)') : null,
      !follows && !openDay && (c.status === 'pending' || c.status === 'rejected') ? h('button.btn.btn-small', { type: 'button', dataset: { action: 'approve' }, on: { click: () => move([c.commissionId], 'approved', true) } }, 'Approve') : null,
      !follows && c.status === 'pending' ? h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'reject' }, on: { click: () => move([c.commissionId], 'rejected', true) } }, 'Reject') : null),
      // What the row's own Approve or Reject came to, said here: at the ledger's head it was out of sight (a dashboard pass).
      feedbackBox());
    const tr = h('tr', { dataset: { commissionId: c.commissionId, status: c.status } },
      // On a phone this column stays in view while the others scroll: its amount says which row Approve and Reject act on.
      canWrite ? h('td', {}, box, h('div.phone-only.small.nowrap', {}, fmt.money(c.amount, c.currency))) : null, commissionCells(c), canWrite ? actions : null);
    rows.set(c.commissionId, { c, tr });
    return tr;
  }

  /** A refused row as the table shows it (partner, campaign, amount, status), with its id's first 8 characters. */
  function rowName(id) {
    const c = rows.get(id)?.c;
    const short = h('code', { title: id }, String(id).slice(0, 8));
    return c ? h('span', {}, `${c.partnerId} · ${c.campaignId} · ${fmt.money(c.amount, c.currency)} · ${c.status} `, short) : short;
  }

  function bulk(to) {
    if (!selected.size) return void say(actionFeedback, h('div.alert.alert-info', { role: 'status' }, 'Select commissions first (the boxes on the left).'));
    return move([...selected], to);
  }

  /**
   * One id: PATCH; several: POST .../bulk. Either way each row shows its new status in place. What it came to is said
   * where it was asked: by the bulk bar, or (`fromRow`) in the row whose button was pressed, however far down the ledger.
   */
  async function move(ids, to, fromRow = false) {
    clear(actionFeedback);
    for (const { tr } of rows.values()) tr.querySelector('.row-feedback')?.replaceChildren();
    // Looked up once the answer is in: the row is drawn anew with its new status.
    const feedback = () => (fromRow && rows.get(ids[0])?.tr.querySelector('.row-feedback')) || actionFeedback;
    const why = reason.value.trim();
    if (!why) {
      reason.focus();
      return void say(actionFeedback, h('div.alert.alert-error', { role: 'alert' }, h('strong', {}, 'A reason is required'), h('p', {}, 'Type why in the reason field; it goes into the audit log.')));
    }
    // What each row was before: one already in the target status is answered 200 too, and is not "moved".
    const before = new Map(ids.map((id) => [id, rows.get(id)?.c.status]));
    let results;
    try {
      results = ids.length === 1
        ? [{ commissionId: ids[0], status: 200, commission: await api(`/commissions/${encodeURIComponent(ids[0])}`, { method: 'PATCH', body: { status: to, reason: why } }) }]
        : (await api('/commissions/bulk', { method: 'POST', body: { commissionIds: ids, status: to, reason: why } })).data;
    } catch (err) {
      return void say(feedback(), errorBox(err, `Could not move to ${to}`));
    }
    const failed = results.filter((r) => r.status !== 200);
    for (const r of results) if (r.commission) show(r.commission, to === 'approved' ? 'approve' : 'reject');
    const already = results.filter((r) => r.status === 200 && before.get(r.commissionId) === to).length;
    const movedCount = results.length - failed.length - already;
    const alreadyText = already ? `; ${already} already ${already === 1 ? 'was' : 'were'}` : '';
    say(feedback(), failed.length
      ? h('div.alert.alert-error', { role: 'alert' }, h('strong', {}, `${movedCount} moved to ${to}${alreadyText}, ${failed.length} refused`),
        h('ul.small', {}, failed.map((f) => h('li', {}, rowName(f.commissionId), ': ', f.error?.message ?? `HTTP ${f.status}`))))
      // In its row a count says nothing: the row's own news, short enough for the narrow column on a phone.
      : h('div.alert.alert-success', { role: 'status' }, fromRow ? `${already ? 'Already' : 'Moved to'} ${to}.`
        : `${movedCount} ${movedCount === 1 ? 'commission' : 'commissions'} moved to ${to}${alreadyText}.`));
    // The reason was this move's: the next one (a reject after an approve) must be given its own, not inherit it.
    reason.value = '';
    selected.clear();
    for (const { tr } of rows.values()) { const b = tr.querySelector('input.select'); if (b) b.checked = false; }
    updateSelected();
    // What follows the move is the page catching up: its failure is said beside the move's news, never instead of it
    // (the move happened; a review found a failed refresh reading as "Could not move").
    try {
      // A commission's unpaid adjustments moved with it: show their new status too.
      const moved = new Set(results.filter((r) => r.commission?.conversionId).map((r) => r.commission.conversionId));
      const followers = [...rows.values()].filter(({ c }) => c.type === 'adjustment' && moved.has(c.conversionId));
      for (const f of await Promise.all(followers.map(({ c }) => api(`/commissions/${encodeURIComponent(c.commissionId)}`)))) show(f);
      // Totals by status changed: refetch the summary; the rows stay where they are, with their new status.
      const summary = await api(`/commissions${query({ limit: 1, ...filters() })}`);
      clear(stats, summaryCards(summary.summary, ctx.currency));
    } catch (err) {
      feedback().append(errorBox(err, 'Moved, but the page could not show the new totals: reload it'));
    }
  }

  /** The row redrawn with its new status; the focus, if it was on the row's `action`, stays in the row. */
  function show(c, action) {
    const at = rows.get(c.commissionId);
    if (!at) return;
    redrawRow(at.tr, action, () => {
      const fresh = row(c);
      fresh.classList.add('flash');
      at.tr.replaceWith(fresh);
      return fresh;
    });
  }

  await table.reload();
}
