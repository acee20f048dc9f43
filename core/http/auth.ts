import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Pool } from 'pg';
import { forbidden, insufficientScope, notFound, unauthorized } from './errors.ts';
import { SCOPES, type Principal, type RouteAuth } from './route.ts';
import { HANDLE_PATTERN } from './handle.ts';

const HANDLE = new RegExp(HANDLE_PATTERN);

export const PUBLIC: Principal = { kind: 'public', actor: 'public', scopes: [] };
export const PAT_PREFIX = 'tenx_pat_';
export const PARTNER_TOKEN_PREFIX = 'tenx_ptk_';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant-time comparison of two secrets of any length (hashing first equalises the lengths). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

interface TokenRow { token_id: string; handle: string; scopes: string[]; partner_id?: string }

/** A live partner token by its hash ($1): not revoked, not expired. */
export const LIVE_PARTNER_TOKEN_SQL = `select token_id, handle, scopes, partner_id from partner_tokens
  where token_hash = $1 and revoked_at is null and (expires_at is null or expires_at > now())`;

const isRealm = (auth: RouteAuth): auth is { partner: string } & RouteAuth => typeof auth === 'object' && 'partner' in auth;
export const REALM_ONLY = 'A partner token works only on the partner realm (/v2/handles/{handle}/partner/…).';
const NOT_REALM = 'The partner realm takes only partner tokens (tenx_ptk_...).';

/**
 * Resolves the caller and enforces the contract's order: 401 (no/invalid token), then 404 (a
 * token of another handle: existence is never revealed), then 403 (wrong realm, then scope).
 */
export async function authenticate(ctx: Context, auth: RouteAuth, pg: Pool, adminToken: string): Promise<Principal> {
  if (auth === 'public') return PUBLIC;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
  if (!match) throw unauthorized();
  const presented = match[1];
  const handle: string | undefined = ctx.params?.handle;

  if (adminToken && sameSecret(presented, adminToken)) {
    if (handle !== undefined) {
      // Not a handle at all (bad characters, U+0000): no such tenant, and nothing to ask the database.
      if (!HANDLE.test(handle)) throw notFound('Handle');
      const { rows: [tenant] } = await pg.query('select 1 from tenants where handle = $1', [handle]);
      if (!tenant) throw notFound('Handle');
    }
    // The operator acts for handles, never as one of their partners.
    if (isRealm(auth)) throw forbidden(NOT_REALM);
    return { kind: 'admin', actor: 'admin', scopes: SCOPES };
  }
  const partnerToken = presented.startsWith(PARTNER_TOKEN_PREFIX);
  if (!partnerToken && !presented.startsWith(PAT_PREFIX)) throw unauthorized('The bearer token is not valid.');
  // A suspended partner's tokens keep reading (its links keep redirecting too); revoke them to cut access.
  const tokenHash = hashToken(presented);
  const { rows } = await pg.query<TokenRow>(
    partnerToken
      ? LIVE_PARTNER_TOKEN_SQL
      : `select token_id, handle, scopes from access_tokens
          where token_hash = $1 and revoked_at is null and (expires_at is null or expires_at > now())`,
    [tokenHash],
  );
  const row = rows[0];
  if (!row) throw unauthorized('The bearer token is not valid, has expired or was revoked.');
  if (auth === 'admin') throw forbidden('This route needs the operator admin token.');
  if (handle !== undefined && row.handle !== handle) throw notFound('Handle');
  if (partnerToken !== isRealm(auth)) throw forbidden(partnerToken ? REALM_ONLY : NOT_REALM);
  if (typeof auth === 'object') {
    const needed = 'scope' in auth ? auth.scope : auth.partner;
    if (!row.scopes.includes(needed)) throw insufficientScope(needed);
  }
  if (partnerToken) return { kind: 'partner', actor: row.token_id, handle: row.handle, partnerId: row.partner_id, scopes: row.scopes, tokenHash };
  return { kind: 'token', actor: row.token_id, handle: row.handle, scopes: row.scopes, tokenHash };
}
