// What the token may do: GET /v2/handles/{handle}/tokens/current answers any valid token of the
// handle with its scopes (the admin token with all of them), so signing in costs one request and
// no probing request that fails on purpose. A partner token (tenx_ptk_) cannot ask that route (403):
// it signs in through its realm's profile, GET .../partner, and sees only the partner pages.

import { api } from './api.js';
import { HANDLE_SCOPES } from './handle-scopes.js';

/** The scopes the dashboard's pages and buttons depend on: every handle scope, and the partner realm's. */
const SCOPES = [...HANDLE_SCOPES, 'partner.read'];

/** Partner tokens carry this prefix (API.md "Partner tokens and the partner realm"). */
export const isPartnerToken = (token) => typeof token === 'string' && token.startsWith('tenx_ptk_');

/**
 * Partner realm routes that may not exist on this server yet: each is asked once; a 404 hides its
 * page (the portal shows what the server has), any other answer shows it.
 */
const OPTIONAL_REALM_ROUTES = { 'partner.commissions': '/partner/commissions', 'partner.payouts': '/partner/payouts' };

async function probePartner({ handle, token }) {
  const profile = await api('/partner', { handle, token });
  const scopes = Object.fromEntries(SCOPES.map((s) => [s, s === 'partner.read' ? 'granted' : 'denied']));
  await Promise.all(Object.entries(OPTIONAL_REALM_ROUTES).map(async ([key, path]) => {
    try {
      await api(`${path}?limit=1`, { handle, token });
      scopes[key] = 'granted';
    } catch (err) {
      scopes[key] = err?.status === 404 ? 'denied' : 'granted';
    }
  }));
  return { ...scopes, partner: profile };
}

/**
 * Checks the token against the handle and learns its scopes: `granted` or `denied` per scope.
 * Throws the API's error when the token is not valid (401) or does not belong to the handle (404).
 */
export async function probeScopes({ handle, token }) {
  if (isPartnerToken(token)) return probePartner({ handle, token });
  const me = await api('/tokens/current', { handle, token });
  const held = new Set(me.scopes);
  // partner.read is never a handle token's: it would open the portal's pages, which answer 403.
  const scopes = Object.fromEntries(SCOPES.map((s) => [s, held.has(s) && s !== 'partner.read' ? 'granted' : 'denied']));
  for (const key of Object.keys(OPTIONAL_REALM_ROUTES)) scopes[key] = 'denied';
  // Which token this is: the Access tokens page keeps the session on a rotated secret of its own, and offers no
  // Rotate or Revoke the API would refuse it.
  return { ...scopes, self: { tokenId: me.tokenId, owner: Boolean(me.owner), admin: me.kind === 'admin', expiresAt: me.expiresAt ?? null } };
}

/** A page is shown unless the token lacks its scope (a list: it lacks every one of them). */
export const allowed = (scopes, scope) => (Array.isArray(scope) ? scope.some((s) => allowed(scopes, s)) : scopes?.[scope] !== 'denied');
