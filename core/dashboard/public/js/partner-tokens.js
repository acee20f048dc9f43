// A partner's tokens, in a row under the partner: the list (never a secret), revoke one after a
// confirmation, and issue one on purpose (a name, its scopes, an optional expiry) whose secret is
// shown once with a Copy button. Listing needs partners.write, as issuing does (API.md).

import { api } from './api.js';
import { h, clear, feedbackBox } from './dom.js';
import { pagedTable } from './paged-table.js';
import { forgetSecret, shownOnce } from './secret-once.js';
import { confirmedRowAction, issueToken, replaceRow } from './token-actions.js';
import { tokenCells, tokenState } from './token-cells.js';

const SCOPES = [
  { scope: 'partner.read', label: 'Read its portal (partner.read)', checked: true },
  { scope: 'partner.postbacks.write', label: 'Manage its postbacks (partner.postbacks.write)', checked: false },
];

/** `p` the partner, `handle` for the sign-in hint. */
export function partnerTokens(p, handle) {
  const base = `/partners/${encodeURIComponent(p.partnerId)}/tokens`;
  const issued = feedbackBox('div.token-issued');
  const table = pagedTable({
    id: `partner-tokens-${p.partnerId}`,
    path: base,
    columns: ['Token', 'Scopes', 'Created', 'Expires', 'Status', ''],
    empty: 'No token yet: the partner cannot sign in until you issue one below.',
    row,
    pageSize: 20,
  });
  void table.reload();

  function row(t) {
    const feedback = feedbackBox();
    const state = tokenState(t);
    const tr = h('tr', { dataset: { tokenId: t.tokenId, state } },
      tokenCells(t, state),
      h('td.actions', {}, state === 'revoked' ? null
        : h('button.btn.btn-small', { type: 'button', dataset: { action: 'revoke' }, on: { click: revoke } }, 'Revoke'), feedback));
    return tr;

    function revoke(e) {
      return confirmedRowAction(e, {
        confirm: {
          title: `Revoke the token "${t.name}" of ${p.partnerId}?`,
          body: 'Whoever holds it is signed out of the portal at once (its next request gets 401) and its open live streams end. This cannot be undone; issue a new token to let the partner back in.',
          confirm: 'Revoke token',
        },
        feedback, failTitle: 'Could not revoke the token',
        run: async () => {
          replaceRow(tr, row(await api(`${base}/${encodeURIComponent(t.tokenId)}`, { method: 'DELETE' })), 'revoke');
          forgetSecret(issued, t.tokenId); // a dead secret is not offered to copy any more
        },
      });
    }
  }

  function issueForm() {
    const name = h('input.token-name', { name: 'name', required: true, maxLength: 200, placeholder: 'e.g. portal, Jane at Alpha', 'aria-label': 'Token name' });
    // defaultChecked too: the form's reset after an issue returns to partner.read alone.
    const boxes = SCOPES.map((s) => h('input', { type: 'checkbox', name: 'scopes', value: s.scope, checked: s.checked, defaultChecked: s.checked }));
    const expires = h('input.token-expires', { name: 'expiresAt', type: 'date', 'aria-label': 'Expires (UTC, end of day)' });
    const submit = h('button.btn.btn-small.btn-primary', { type: 'submit', dataset: { action: 'issue' } }, 'Issue token');
    const feedback = feedbackBox();

    const onSubmit = (event) => issueToken(event, {
      path: base, form, name, boxes, expires, submit, feedback, failTitle: `Could not issue a token for ${p.partnerId}`,
      onIssued: async (t) => {
        clear(issued, tokenOnce(t));
        await table.reload();
      },
    });

    const form = h('form.inline-form.token-issue', { method: 'post', on: { submit: onSubmit } },
      h('label.inline-field', {}, h('span', {}, 'Name'), name),
      SCOPES.map((s, i) => h('label.inline-field.check', {}, boxes[i], h('span', {}, s.label))),
      h('label.inline-field', {}, h('span', {}, 'Expires (UTC)'), expires),
      submit, feedback);
    return form;
  }

  const tokenOnce = (t) => shownOnce({
    heading: `Partner token "${t.name}" for ${p.partnerId}`, secret: t.token, secretClass: 'issued-token', copyTitle: 'Copy the token', dataset: { tokenId: t.tokenId },
    note: [`The partner signs in at ${location.origin}/dashboard with handle `, h('code', {}, handle), ' and this token.'],
    onDone: () => clear(issued),
  });

  return h('div.partner-tokens', { dataset: { partnerId: p.partnerId } },
    h('h3.detail-title', {}, `Tokens of ${p.partnerId}`),
    table.el,
    h('h3.detail-title', {}, 'Issue a new token'),
    issueForm(),
    issued);
}
