// The partner portal's own pages: who the partner is with its commission balances, and its
// campaigns' short links. Everything comes from the partner realm, /v2/handles/{h}/partner/...

import { api } from './api.js';
import { h, idClass, clear, errorBox, fmt, card, statusBadge, emptyRow } from './dom.js';
import { pagedTable } from './paged-table.js';
import { copyButton } from './page-campaigns.js';

export async function renderPortalHome(ctx) {
  const body = h('div');
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Overview'), h('p.muted', {}, 'Your partner account: status and commission balances by currency.'))),
    body);
  let profile;
  let terms;
  try {
    // The minimum payout explains an approved balance no run pays; a server without the route leaves it unsaid.
    [profile, terms] = await Promise.all([api('/partner'), api('/partner/payout-terms').catch(() => null)]);
  } catch (err) {
    return void body.append(errorBox(err, 'Could not load your profile'));
  }
  const minimum = terms?.minimumPayout ?? 0;
  const stat = (label, value, id) => h('div.stat', { dataset: { stat: id } }, h('div.stat-label', {}, label), h('div.stat-value', {}, value));
  clear(body,
    h('div.stats#portal-profile', {},
      stat('Partner', profile.name, 'name'),
      stat('Partner id', profile.partnerId, 'partnerId'),
      h('div.stat', { dataset: { stat: 'status' } }, h('div.stat-label', {}, 'Status'), h('div.stat-value', {}, statusBadge(profile.status)))),
    profile.status === 'SUSPENDED'
      ? h('div.alert.alert-info', { role: 'note' }, h('strong', {}, 'Your account is suspended'), h('p', {}, 'Your links keep working, but new commissions are rejected until the network reactivates you.'))
      : null,
    // Balances arrive with the commission ledger; a server without it sends none and the card stays away.
    Array.isArray(profile.balances) ? card('Balances', balancesTable(profile.balances, minimum), balancesNote(profile.balances, minimum)) : null);
}

/**
 * What the columns mean (a pass read a negative Approved, and Approved money already in a pending payout, unexplained):
 * pending is on hold, approved is owed (a payout run pays it; it stays approved until that payout is marked paid),
 * and a negative approved amount is what a refund took back from a sale already paid (a clawback), netted from the next
 * payout.
 */
function balancesNote(balances, minimum) {
  const negative = balances.filter((b) => b.approved < 0).map((b) => b.currency);
  return h('p.muted.small#portal-balances-note', {},
    'Pending: on hold until it ends. Approved: owed to you; a payout run pays it, and it stays here until that payout is marked paid. ',
    minimum > 0 ? h('span#portal-minimum-payout', {}, `Your minimum payout is ${fmt.money(minimum)} in each currency: an approved balance below it waits for a later run. `) : null,
    negative.length ? `A negative approved amount (${negative.join(', ')}) is what a refund took back from a sale already paid: it is taken from your next payout.` : null);
}

/** An approved balance above 0 but below the minimum payout: no run pays it yet (a comparison, never a sum). */
const belowMinimum = (b, minimum) => b.approved > 0 && b.approved < minimum;

function balancesTable(balances, minimum) {
  return h('div.table-wrap', {}, h('table.table#portal-balances', {},
    h('thead', {}, h('tr', {}, h('th', {}, 'Currency'), ['Pending', 'Approved', 'Paid'].map((t) => h('th.num', {}, t)))),
    h('tbody', {}, balances.length
      ? balances.map((b) => h('tr', { dataset: { currency: b.currency } },
        h('td.strong', {}, b.currency),
        h('td.num', { dataset: { col: 'pending' } }, fmt.money(b.pending, b.currency)),
        h('td.num', { dataset: { col: 'approved' } }, fmt.money(b.approved, b.currency),
          belowMinimum(b, minimum) ? h('div.muted.small.below-minimum', {}, `below your ${fmt.money(minimum, b.currency)} minimum`) : null),
        h('td.num', { dataset: { col: 'paid' } }, fmt.money(b.paid, b.currency))))
      : emptyRow(4, 'No balance yet: your first commission opens one.'))));
}

export async function renderPortalLinks(ctx) {
  const table = pagedTable({
    id: 'portal-campaigns',
    path: '/partner/campaigns',
    columns: ['Campaign', 'Status', 'Short link'],
    stack: true, // a phone gives the short link and its Copy button the card's whole width
    empty: 'No campaign is assigned to you yet.',
    row: (c) => h('tr', { dataset: { campaignId: c.campaignId } },
      h('td', {}, h(`div.strong${idClass(c.campaignId)}`, {}, c.campaignId), c.title ? h('div.muted.small.truncate', { title: c.title }, c.title) : null),
      h('td', {}, statusBadge(c.status)),
      // Only an ACTIVE campaign's link redirects (API.md: otherwise 404): a paused or archived one is shown, not offered to copy.
      h('td', {}, !c.shortUrl ? '—' : c.status === 'ACTIVE'
        ? h('div.link-cell', {}, h('a.short-link', { href: c.shortUrl, target: '_blank', rel: 'noopener noreferrer' }, c.shortUrl), copyButton(c.shortUrl))
        : h('div.link-cell.muted', { dataset: { inactive: '' } }, h('span.short-link', {}, c.shortUrl),
          h('div.small', {}, c.status === 'ARCHIVED' ? 'Archived: this link no longer redirects.' : 'Not live: this link answers "not found" until the network activates the campaign.')))),
  });
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Links'),
      // Each parameter whole on its line ("up to ?" then "sub5=…" at 390 pixels).
      h('p.muted', {}, 'Your campaigns\' short links. Add ', h('code.nowrap', {}, '?sub1=…'), ' up to ', h('code.nowrap', {}, '?sub5=…'), ' to tell your placements apart.'))),
    card('Your campaigns', table.el));
  await table.reload();
}
