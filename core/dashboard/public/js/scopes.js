// What the token may do, learned by asking: the API has no "who am I" route, but it answers every
// route's auth (401 → 404 foreign handle → 403 scope) before validating the request.

import { api, ApiError } from './api.js';

/**
 * One harmless request per scope. Reads are `limit=1` GETs; writes are POSTs with an empty body,
 * which a granted token gets back as 400 (validation) and an ungranted one as 403.
 */
const PROBES = {
  'campaigns.read': { path: '/campaigns?limit=1' },
  'campaigns.write': { path: '/campaigns', method: 'POST', body: {} },
  'analytics.read': { path: '/audit-events?limit=1' },
  'plugins.read': { path: '/plugins' },
  'webhooks.read': { path: '/webhooks?limit=1' },
  'webhooks.write': { path: '/webhooks', method: 'POST', body: {} },
  'notifications.read': { path: '/notifications?limit=1' },
};

/** granted | denied | unknown (route missing or failing: the page will show that error itself). */
async function probe(scope, { handle, token }) {
  const { path, method = 'GET', body } = PROBES[scope];
  try {
    await api(path, { method, body, handle, token });
    return 'granted';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 403 && err.code === 'insufficient_scope') return 'denied';
    if (err.status === 400 && method !== 'GET') return 'granted';
    if (err.status === 401 || (err.status === 404 && /^Handle /.test(err.message))) throw err;
    return 'unknown';
  }
}

/**
 * Checks the token against the handle and learns its scopes. Throws the API's error when the
 * token is not valid (401) or does not belong to the handle (404).
 */
export async function probeScopes({ handle, token }) {
  const scopes = Object.keys(PROBES);
  const results = await Promise.allSettled(scopes.map((s) => probe(s, { handle, token })));
  const fatal = results.find((r) => r.status === 'rejected');
  if (fatal) throw fatal.reason;
  return Object.fromEntries(scopes.map((s, i) => [s, results[i].value]));
}

/** A page is shown unless the API said outright that the token lacks its scope. */
export const allowed = (scopes, scope) => scopes?.[scope] !== 'denied';
