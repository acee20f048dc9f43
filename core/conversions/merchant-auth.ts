import type { Context } from 'koa';
import { hashToken, PAT_PREFIX, sameSecret } from '../http/auth.ts';
import { unauthorized } from '../http/errors.ts';
import type { ConversionsDb } from './db.ts';

/** The merchant's server behind a conversion: a handle token (or the operator's admin token). */
export interface Merchant {
  /** Token id, or `admin`: the audit events' actor. */
  actor: string;
  /** The token's handle; null for the admin token, which acts for every handle. */
  handle: string | null;
  scopes: readonly string[];
}

// A valid token is remembered this long: revoking one takes effect within a second on every process,
// as any other change does (API.md), and a merchant posting thousands a second costs one query a second.
const TTL_MS = 1000;
const MAX_ENTRIES = 10_000;

export const notThisMerchant = () => unauthorized('The bearer token is not valid for this conversion.');

/**
 * Resolves `Authorization: Bearer` on the public conversions endpoint: null when absent (a ctx-only
 * submission), a Merchant when valid, 401 otherwise. Which handle and scope it needs is decided by
 * the service once the ctx names the handle.
 */
export class MerchantAuth {
  private readonly cache = new Map<string, { until: number; merchant: Merchant }>();
  private readonly db: ConversionsDb;
  private readonly adminToken: string;

  constructor(deps: { conversionsDb: ConversionsDb; config: { adminToken: string } }) {
    this.db = deps.conversionsDb;
    this.adminToken = deps.config.adminToken;
  }

  async resolve(ctx: Context): Promise<Merchant | null> {
    const header = ctx.get('authorization');
    if (!header) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be "Bearer <token>".');
    const presented = match[1];
    if (this.adminToken && sameSecret(presented, this.adminToken)) return { actor: 'admin', handle: null, scopes: ['conversions.write'] };
    if (!presented.startsWith(PAT_PREFIX)) throw notThisMerchant();
    const hash = hashToken(presented);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.merchant;
    const { rows } = await this.db.query<{ token_id: string; handle: string; scopes: string[]; expires_at: Date | null }>(
      `select token_id, handle, scopes, expires_at from access_tokens
        where token_hash = $1 and revoked_at is null and (expires_at is null or expires_at > now())`,
      [hash],
    );
    const row = rows[0];
    if (!row) throw notThisMerchant();
    const merchant = { actor: row.token_id, handle: row.handle, scopes: row.scopes };
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(hash, { until: Math.min(now + TTL_MS, row.expires_at ? row.expires_at.getTime() : Infinity), merchant });
    return merchant;
  }
}
