// Destination URLs are stored and redirected as the WHATWG-normalised href (issue 12 item 10): what
// the browser will follow, not what was typed. `https:evil.com` and `https:/evil.com` are both
// `https://evil.com/` to a browser; a stored form that differs only fools reviewers and filters.
import type { ErrorDetail } from '../http/errors.ts';

/** The href a browser resolves `url` to; an unparsable string is returned as given (validation refuses it). */
export function canonicalUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/**
 * The Location a stored destination may be sent as: its canonical href without userinfo. Rows stored
 * before this rule may hold either; `https://bank.com@evil.com` must not reach a visitor as such.
 */
export function redirectableUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}

/** Every destination of a list of routing rules, canonical. */
export function canonicalRules<R extends { destinationUrl: string }>(rules: readonly R[], to = canonicalUrl): R[] {
  return rules.map((r) => (typeof r?.destinationUrl === 'string' ? { ...r, destinationUrl: to(r.destinationUrl) } : r));
}

const MAX_URL = 2048;

/** An absolute http(s) URL with a host and no userinfo; anything else can never be a redirect target. */
export function destinationProblem(url: string, pointer: string): ErrorDetail | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { pointer, message: 'must be an absolute http or https URL' };
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) return { pointer, message: 'must be an absolute http or https URL' };
  // `https://trusted.example@evil.example` shows a trusted name and goes elsewhere; credentials also leak into logs.
  if (u.username || u.password) return { pointer, message: 'must not contain a user name or password (userinfo)' };
  // Stored as the browser sends it (percent-encoded, punycode): that form must fit the limit too, or the
  // campaign's own GET would answer a destination that no PATCH could send back.
  if (u.href.length > MAX_URL) return { pointer, message: `must be at most ${MAX_URL} characters as a browser sends it (percent-encoded: ${u.href.length})` };
  return null;
}
