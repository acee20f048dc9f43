// Cells of the commission ledger and of payouts, shared by the manager's pages and the partner
// portal. Amounts are shown as the API sends them (exact decimals); the page never adds money up.

import { download } from './api.js';
import { h, fmt, badge, clear, errorBox, idClass, say } from './dom.js';

/** The UTC day in the table (narrow enough for a phone; as the period end and the From/to filters are UTC days), its time on hover. */
const day = (iso) => (iso ? h('span.nowrap', { title: fmt.utcTime(iso) }, fmt.utcDay(iso)) : '—');
const ORDER = ['pending', 'approved', 'paid', 'rejected', 'reversed'];

const TONES = { pending: 'neutral', approved: 'good', paid: 'good', rejected: 'bad', reversed: 'muted', canceled: 'muted' };
export const ledgerBadge = (status) => badge(status, TONES[status] ?? 'neutral');

// A row's sub-IDs sit under its campaign (the placement within it): a column of their own pushed the ledger past a 1280-pixel window.
export const COMMISSION_COLUMNS = ['Created', 'Partner', 'Campaign', 'Type', 'Qty', { title: 'Amount', num: true }, 'Status', 'Hold until', 'Reason'];

/** Automatic approval runs every minute: still pending well after its hold, a commission waits for a person's decision. */
const REVIEW_AFTER_MS = 3 * 60_000;
const REVIEW_HINT = 'Its hold has ended, but it is not approved automatically (for example a sale whose click was not found, or ' +
  'posted without a merchant token on a handle that flags those): the network approves or rejects it by hand.';
const awaitsReview = (c) => c.status === 'pending' && c.holdUntil && Date.parse(c.holdUntil) < Date.now() - REVIEW_AFTER_MS;

/**
 * A commission's or conversion's sub-IDs, one a line (`sub1=newsletter-dec`) under its campaign. Where the column needs
 * the room the line breaks after its `=`, a short value kept whole (at 1280 pixels one read "sub1=newslett" over
 * "er-dec"); a long one (up to 100 characters) breaks where it must.
 */
export const subIdLines = (c) => [c.sub1, c.sub2, c.sub3, c.sub4, c.sub5]
  .map((s, i) => (s ? h('div.muted.small.subs', {}, `sub${i + 1}=`, h('wbr'), h(`span${idClass(s)}`, {}, s)) : null)).filter(Boolean);

export function commissionCells(c, { partner = true } = {}) {
  return [
    h('td.small.nowrap', {}, day(c.createdAt)),
    // Not nowrap: a long id breaks at a hyphen rather than push Approve/Reject out of a 1280-pixel window.
    partner ? h('td', {}, c.partnerId ?? '—') : null,
    h('td', {}, h('div', {}, c.campaignId ?? '—'), subIdLines(c)),
    h('td', {}, h('div', {}, c.type), c.eventType ? h('div.muted.small', {}, c.eventType) : null),
    h('td.num', {}, fmt.int(c.quantity)),
    h('td.num', { dataset: { col: 'amount' } }, fmt.money(c.amount, c.currency)),
    h('td.status', {}, ledgerBadge(c.status), c.payoutId ? h('div.muted.small.mono.truncate', { title: c.payoutId }, `payout ${c.payoutId.slice(0, 8)}`) : null),
    h('td.small.nowrap', {}, day(c.holdUntil),
      awaitsReview(c) ? h('div.muted.small.awaits-review', { title: REVIEW_HINT }, 'awaiting review') : null),
    h('td.small', {}, c.reason ? h('div.reason', { title: c.reason }, c.reason) : ''),
  ].filter(Boolean);
}

export const PAYOUT_COLUMNS = ['Payout', 'Partner', { title: 'Amount', num: true }, { title: 'Lines', num: true }, 'Status', 'Period end', 'Paid', 'Reference'];

export function payoutCells(p, { partner = true } = {}) {
  return [
    // On a phone this column stays in view while the others scroll: its partner and amount say whose payout a row is, and
    // which one Mark paid acts on (the id alone said neither; the ledger's and conversions' pinned columns carry theirs too).
    h('td', {}, h('div.mono.small', { title: p.payoutId }, p.payoutId.slice(0, 8)),
      h('div.phone-only.small', {}, partner ? h(`div${idClass(p.partnerId)}`, {}, p.partnerId) : null, h('div.strong.nowrap', {}, fmt.money(p.amount, p.currency))),
      h('div.muted.small', {}, day(p.createdAt))),
    partner ? h('td.nowrap', {}, p.partnerId) : null,
    h('td.num.strong', { dataset: { col: 'amount' } }, fmt.money(p.amount, p.currency)),
    h('td.num', {}, fmt.int(p.commissionCount)),
    h('td.status', {}, ledgerBadge(p.status)),
    h('td.small.nowrap', { dataset: { col: 'period-end' } }, day(p.periodEnd)),
    h('td.small.nowrap', {}, day(p.paidAt)),
    h(`td.small${idClass(p.reference, '.nowrap')}`, {}, p.reference ?? ''),
  ].filter(Boolean);
}

/** The `summary` of a commission list as stat cards: one per status, each currency on its own line. */
export function summaryCards(summary = [], reportingCurrency = '') {
  const byStatus = new Map();
  for (const s of summary) byStatus.set(s.status, [...(byStatus.get(s.status) ?? []), s]);
  if (!byStatus.size) return []; // the table under it says that nothing is there (it said it twice)
  const rank = (s) => (ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  return [...byStatus].sort(([a], [b]) => rank(a) - rank(b)).map(([status, rows]) => h('div.stat', { dataset: { stat: status } },
    h('div.stat-label', {}, `${status} · ${fmt.int(rows.reduce((n, r) => n + r.count, 0))}`),
    // The reporting currency first (large), the others beneath it, as on every other page.
    [...rows].sort((a, b) => Number(b.currency === reportingCurrency) - Number(a.currency === reportingCurrency))
      .map((r, i) => h(i ? 'div.stat-extra' : 'div.stat-value', { dataset: { currency: r.currency } }, fmt.money(r.amount, r.currency)))));
}

/**
 * A payout's "Statement CSV" button (`path`: the handle's or the partner realm's payout), saved as `filename`; a
 * refusal shows in `feedback`.
 */
export function statementButton(path, filename, feedback) {
  return h('button.btn.btn-small.btn-ghost', {
    type: 'button',
    dataset: { action: 'statement' },
    on: {
      click: async () => {
        clear(feedback);
        try {
          await download(`${path}/statement?format=csv`, filename);
        } catch (err) {
          say(feedback, errorBox(err, 'Could not download the statement'));
        }
      },
    },
  }, 'Statement CSV');
}
