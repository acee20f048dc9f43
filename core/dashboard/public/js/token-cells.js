// How a token shows in a table row, handle tokens (page-tokens.js) and partner tokens (partner-tokens.js) alike:
// its state, and its cells of name, scopes, creation, expiry and state. Never its secret.

import { h, fmt, badge } from './dom.js';

/** revoked, expired or active. */
export const tokenState = (t) => (t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active');
const STATE_TONES = { active: 'good', revoked: 'muted', expired: 'warn' };

/** The row's cells before its actions; `marks` follow the name (the owner token's badge). */
export function tokenCells(t, state = tokenState(t), marks = []) {
  return [
    h('td', {}, h('div.strong.long-text', {}, t.name, ...marks.flatMap((m) => [' ', m])), h('div.muted.small.mono', { title: t.tokenId }, `…${t.tokenId.slice(-8)}`)),
    h('td.small.scopes', {}, t.scopes.map((s) => h('div', {}, h('code', {}, s)))),
    h('td.small.nowrap', {}, fmt.utcTime(t.createdAt)),
    // Chosen as a UTC day's end (the forms say so): shown in UTC, not as the next day east of it.
    h('td.small.nowrap', {}, t.expiresAt ? fmt.utcTime(t.expiresAt) : 'never'),
    h('td.status', {}, badge(state, STATE_TONES[state]), t.revokedAt ? h('div.muted.small', {}, fmt.utcTime(t.revokedAt)) : null),
  ];
}
