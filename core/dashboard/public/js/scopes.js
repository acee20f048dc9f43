// What the token may do: GET /v2/handles/{handle}/tokens/current answers any valid token of the
// handle with its scopes (the admin token with all of them), so signing in costs one request and
// no probing request that fails on purpose.

import { api } from './api.js';

/** The scopes the dashboard's pages and buttons depend on. */
const SCOPES = ['campaigns.read', 'campaigns.write', 'analytics.read', 'plugins.read', 'webhooks.read', 'webhooks.write', 'notifications.read'];

/**
 * Checks the token against the handle and learns its scopes: `granted` or `denied` per scope.
 * Throws the API's error when the token is not valid (401) or does not belong to the handle (404).
 */
export async function probeScopes({ handle, token }) {
  const me = await api('/tokens/current', { handle, token });
  const held = new Set(me.scopes);
  return Object.fromEntries(SCOPES.map((s) => [s, held.has(s) ? 'granted' : 'denied']));
}

/** A page is shown unless the token lacks its scope. */
export const allowed = (scopes, scope) => scopes?.[scope] !== 'denied';
