// The handle's access tokens (tokens.write; API.md "Personal access tokens"): the list (never a secret),
// issue one with a name, the scopes it needs and an optional expiry (its secret shown once), rotate one
// (a new secret, shown once, the old one refused at once) and revoke one, each after a confirmation.
// The owner token is rotated, never revoked. The API refuses what the signed-in token may not grant (403).

import { api, session, unauthorized } from './api.js';
import { h, clear, badge, card, feedbackBox } from './dom.js';
import { pagedTable } from './paged-table.js';
import { forgetSecret, shownOnce } from './secret-once.js';
import { confirmedRowAction, issueToken, replaceRow } from './token-actions.js';
import { tokenCells, tokenState } from './token-cells.js';
import { allowed } from './scopes.js';
import { HANDLE_SCOPES } from './handle-scopes.js';

export async function renderTokens(ctx) {
  const issued = feedbackBox('div.token-issued#token-issued');
  const table = pagedTable({
    id: 'tokens-table',
    path: '/tokens',
    columns: ['Token', 'Scopes', 'Created', 'Expires', 'Status', ''],
    empty: 'No token.',
    row,
    pageSize: 50,
  });

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Access tokens'),
      h('p.muted', {}, 'Tokens for scripts, the CLI and people of this handle: give each only the scopes it needs. A token never grants more than the one that issues it.'))),
    card('Issue a token', issueForm()),
    issued,
    card('All tokens', table.el));

  const self = ctx.scopes?.self ?? null;
  /**
   * What the API lets the signed-in token do to `t` (API.md and the README's token rules): the operator anything; the
   * owner token itself only by itself; another token by one holding every scope of it. Buttons it would refuse with
   * 403 after a confirmation are not offered.
   */
  const manageable = (t) => !self || self.admin || self.tokenId === t.tokenId || (!t.owner && t.scopes.every((s) => allowed(ctx.scopes, s)));
  /** Rotating hands over the new secret: a token that expires may not obtain one that outlives it (core/tenants/token-rules.ts). */
  const outlives = (t) => Boolean(self && !self.admin && !self.owner && self.tokenId !== t.tokenId && self.expiresAt
    && (!t.expiresAt || Date.parse(t.expiresAt) > Date.parse(self.expiresAt)));

  function row(t) {
    const feedback = feedbackBox();
    const state = tokenState(t);
    const mine = Boolean(self && self.tokenId === t.tokenId);
    const tr = h('tr', { dataset: { tokenId: t.tokenId, state, ...(t.owner && { owner: 'true' }), ...(mine && { session: 'true' }) } },
      tokenCells(t, state, [t.owner ? badge('owner', 'neutral') : null, mine ? badge('this session', 'neutral') : null].filter(Boolean)),
      h('td.actions', {}, state === 'revoked' ? null : !manageable(t)
        ? h('span.muted.small', { title: t.owner ? 'Only the owner token itself (or the operator) rotates the owner token.' : 'Only a token holding every scope of this one may rotate or revoke it.' },
          t.owner ? 'owner only' : 'needs its scopes')
        : [
          outlives(t) ? null : h('button.btn.btn-small', { type: 'button', dataset: { action: 'rotate' }, on: { click: rotate } }, 'Rotate'), ' ',
          // The owner token holds every scope and is never revoked (API.md): only rotated.
          t.owner ? null : h('button.btn.btn-small', { type: 'button', dataset: { action: 'revoke' }, on: { click: revoke } }, 'Revoke'),
        ], feedback));
    return tr;

    function rotate(e) {
      return confirmedRowAction(e, {
        confirm: {
          title: `Rotate the token "${t.name}"?`,
          body: ['It gets a new secret, shown once; the old secret is refused from now on (401), and streams opened with it end.',
            'Its id, scopes and expiry stay. Put the new secret wherever the old one was used.',
            ...(mine ? ['You are signed in with this token: this dashboard switches to the new secret; copy it for anything else that uses the token.'] : [])],
          confirm: 'Rotate token',
        },
        feedback, failTitle: 'Could not rotate the token',
        run: async () => {
          const rotated = await api(`/tokens/${encodeURIComponent(t.tokenId)}/rotate`, { method: 'POST' });
          // The session's own token: the old secret is refused from now on, so the next page would have signed out.
          if (mine && rotated.token) session.save(session.handle, rotated.token);
          clear(issued, tokenOnce(rotated, 'New secret of'));
          replaceRow(tr, row(rotated), 'rotate');
        },
      });
    }

    function revoke(e) {
      return confirmedRowAction(e, {
        confirm: {
          title: `Revoke the token "${t.name}"?`,
          body: mine ? ['You are signed in with this token: revoking it signs you out of this dashboard.', 'Whoever holds it is refused from its next request (401), and its open live streams end. This cannot be undone.']
            : 'Whoever holds it is refused from its next request (401), and its open live streams end. This cannot be undone.',
          confirm: 'Revoke token',
        },
        feedback, failTitle: 'Could not revoke the token',
        run: async () => {
          const revoked = await api(`/tokens/${encodeURIComponent(t.tokenId)}`, { method: 'DELETE' });
          // The session's own token: it is dead now, so the dashboard signs out at once (not at the next request's 401).
          if (mine) return unauthorized({ status: 401, code: 'unauthorized', message: 'You revoked the token this dashboard was signed in with.' });
          replaceRow(tr, row(revoked), 'revoke');
          // Its secret, if still shown, is dead: not offered to copy any more.
          forgetSecret(issued, t.tokenId);
        },
      });
    }
  }

  function issueForm() {
    const name = h('input#token-name', { name: 'name', required: true, maxLength: 200, placeholder: 'e.g. nightly export, Jane (finance)' });
    // The scopes the signed-in token holds: the API refuses to grant any other (403 insufficient_scope).
    const held = HANDLE_SCOPES.filter((s) => allowed(ctx.scopes, s));
    const boxes = held.map((s) => h('input', { type: 'checkbox', name: 'scopes', value: s }));
    const expires = h('input#token-expires', { name: 'expiresAt', type: 'date' });
    const submit = h('button.btn.btn-primary#token-submit', { type: 'submit' }, 'Issue token');
    const feedback = feedbackBox('div.feedback#token-feedback');

    const onSubmit = (event) => issueToken(event, {
      path: '/tokens', form, name, boxes, expires, submit, feedback, failTitle: 'Could not issue the token',
      onIssued: async (t) => {
        clear(issued, tokenOnce(t, 'Token'));
        await table.reload();
      },
    });

    const form = h('form.form-grid#token-form', { method: 'post', on: { submit: onSubmit } },
      h('div.field', {}, h('label', { for: 'token-name' }, 'Name'), name),
      h('div.field', {}, h('label', { for: 'token-expires' }, 'Expires (UTC, end of day)'), expires, h('div.hint.muted', {}, 'Empty: never')),
      h('fieldset.field.token-scopes', {}, h('legend', {}, 'Scopes'),
        held.map((s, i) => h('label.inline-field.check', {}, boxes[i], h('code', {}, s)))),
      h('div.field.field-submit', {}, submit),
      feedback);
    return form;
  }

  const tokenOnce = (t, what) => shownOnce({
    heading: `${what} "${t.name}"`, secret: t.token, secretClass: 'issued-token', copyTitle: 'Copy the token', dataset: { tokenId: t.tokenId },
    note: ['Send it as ', h('code', {}, 'Authorization: Bearer …'), ', or sign in to the CLI with ', h('code', {}, `tenx login --handle ${ctx.handle} --token …`), '.'],
    onDone: () => clear(issued),
  });

  await table.reload();
}
