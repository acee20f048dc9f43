// The partner portal's commissions and payouts (partner realm lists). Shown only when the server
// has these routes (scopes.js asks once; a 404 hides the page).

import { api, query } from './api.js';
import { h, clear, card, feedbackBox } from './dom.js';
import { impliedCurrency } from './funnel-table.js';
import { pagedTable } from './paged-table.js';
import { COMMISSION_COLUMNS, PAYOUT_COLUMNS, commissionCells, payoutCells, statementButton, summaryCards } from './ledger-cells.js';

const STATUSES = ['', 'pending', 'approved', 'paid', 'rejected', 'reversed'];

export async function renderPartnerCommissions(ctx) {
  // The realm does not name the handle's reporting currency; its funnel totals imply it. The summary
  // puts it first, as the manager's page does (it showed e.g. EUR above USD).
  const currency = ctx.currency || await api(`/partner/analytics${query({ funnel: true })}`).then((r) => impliedCurrency(r.totals)).catch(() => '');
  // The status filter lives in the URL (#/my-commissions?status=approved), kept across a reload.
  const askedStatus = STATUSES.includes(ctx.query?.get('status') ?? '') ? ctx.query?.get('status') ?? '' : '';
  const status = h('select#my-commission-status', { 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s, selected: s === askedStatus }, s || 'All statuses')));
  const stats = h('div.stats#my-commission-summary');
  const table = pagedTable({
    id: 'my-commissions-table',
    path: '/partner/commissions',
    columns: COMMISSION_COLUMNS.filter((c) => c !== 'Partner'),
    params: () => ({ status: status.value || undefined }),
    empty: () => (status.value ? `No ${status.value} commission.` : 'No commission yet: your links earn them from clicks and sales.'),
    onPage: (res) => (res.summary ? clear(stats, summaryCards(res.summary, currency)) : clear(stats)),
    row: (c) => h('tr', { dataset: { commissionId: c.commissionId, status: c.status } }, commissionCells(c, { partner: false })),
  });
  status.addEventListener('change', () => {
    ctx.setQuery?.(query({ status: status.value || undefined }));
    void table.reload();
  });
  ctx.el.append(
    h('header.page-head', {},
      h('div', {}, h('h1', {}, 'Commissions'), h('p.muted', {}, 'Pending until the hold ends, then approved, then paid with a payout.')),
      h('div.toolbar', {}, status)),
    stats,
    card('Your commissions', table.el));
  await table.reload();
}

export async function renderPartnerPayouts(ctx) {
  const table = pagedTable({
    id: 'my-payouts-table',
    path: '/partner/payouts',
    columns: [...PAYOUT_COLUMNS.filter((c) => c !== 'Partner'), ''],
    empty: 'No payout yet: the network pays your approved commissions with payouts.',
    row: (p) => {
      // Its lines, to check against the transfer: the realm's statement (never the merchant's order keys).
      const feedback = feedbackBox();
      const statement = statementButton(`/partner/payouts/${encodeURIComponent(p.payoutId)}`, `tenx-${ctx.handle}-payout-${p.payoutId.slice(0, 8)}.csv`, feedback);
      return h('tr', { dataset: { payoutId: p.payoutId, status: p.status } }, payoutCells(p, { partner: false }), h('td.actions', {}, statement, feedback));
    },
  });
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Payouts'), h('p.muted', {}, 'What the network has paid you, or is about to.'))),
    card('Your payouts', table.el));
  await table.reload();
}
