import type { Context } from 'koa';
import { hashToken, LIVE_PARTNER_TOKEN_SQL, PARTNER_TOKEN_PREFIX, PAT_PREFIX, REALM_ONLY, sameSecret } from '../http/auth.ts';
import { forbidden, unauthorized } from '../http/errors.ts';
import type { Bus } from '../infra/bus.ts';
import { liveAccessTokenByHashSql, TOKEN_CHANGED } from '../tenants/index.ts';
import type { ConversionsDb } from './db.ts';

const TOKEN_BY_HASH = liveAccessTokenByHashSql('$1');

/** The merchant's server behind a conversion: a handle token (or the operator's admin token). */
export interface Merchant {
  /** Token id, or `admin`: the audit events' actor. */
  actor: string;
  /** The token's handle; null for the admin token, which acts for every handle. */
  handle: string | null;
  scopes: readonly string[];
}

// A valid token is remembered this long, so a merchant posting thousands a second costs one query a second.
// Revoking or rotating it is announced on the bus (TOKEN_CHANGED) and forgotten at once on every process
// (API.md: a revoked token is 401; README: a rotated one's old secret is refused at once); the TTL only
// bounds a change whose bus message was lost.
const TTL_MS = 1000;
const MAX_ENTRIES = 10_000;

export const notThisMerchant = () => unauthorized('The bearer token is not valid for this conversion.');

/**
 * Resolves `Authorization: Bearer` on the public conversions endpoint: null when absent (a ctx-only
 * submission), a Merchant when valid, 403 for a partner token, 401 otherwise. Which handle and scope it needs is decided by
 * the service once the ctx names the handle.
 */
export class MerchantAuth {
  private readonly cache = new Map<string, { until: number; merchant: Merchant }>();
  private readonly db: ConversionsDb;
  private readonly adminToken: string;
  /** Counts forgets: a look-up that a revocation overtook answers its own request but is not remembered. */
  private forgets = 0;

  constructor(deps: { conversionsDb: ConversionsDb; config: { adminToken: string }; bus: Bus }) {
    this.db = deps.conversionsDb;
    this.adminToken = deps.config.adminToken;
    deps.bus.subscribe(TOKEN_CHANGED, (m: { tokenId: string }) => this.forget(m.tokenId));
    deps.bus.onResume(() => this.forgetAll()); // revocations made while the bus was down
  }

  /** Drops every remembered token (revocations may have gone unannounced: the bus was down). */
  forgetAll(): void {
    this.forgets++;
    this.cache.clear();
  }

  /** Drops a token revoked or rotated (on this process or another) from memory: its secret is looked up again. */
  forget(tokenId: string): void {
    this.forgets++;
    for (const [hash, entry] of this.cache) if (entry.merchant.actor === tokenId) this.cache.delete(hash);
  }

  async resolve(ctx: Context): Promise<Merchant | null> {
    const header = ctx.get('authorization');
    if (!header) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be "Bearer <token>".');
    const presented = match[1];
    if (this.adminToken && sameSecret(presented, this.adminToken)) return { actor: 'admin', handle: null, scopes: ['conversions.write'] };
    if (presented.startsWith(PARTNER_TOKEN_PREFIX)) {
      // A live partner token is refused as every route outside the partner realm refuses it (403); a dead one is 401.
      const { rows } = await this.db.query(LIVE_PARTNER_TOKEN_SQL, [hashToken(presented)]);
      throw rows[0] ? forbidden(REALM_ONLY) : notThisMerchant();
    }
    if (!presented.startsWith(PAT_PREFIX)) throw notThisMerchant();
    const hash = hashToken(presented);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.merchant;
    const forgets = this.forgets;
    const { rows } = await this.db.query<{ token_id: string; handle: string; scopes: string[]; expires_at: Date | null }>(
      TOKEN_BY_HASH,
      [hash],
    );
    const row = rows[0];
    if (!row) throw notThisMerchant();
    const merchant = { actor: row.token_id, handle: row.handle, scopes: row.scopes };
    if (forgets !== this.forgets) return merchant; // it may have read the token from before a revocation
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(hash, { until: Math.min(now + TTL_MS, row.expires_at ? row.expires_at.getTime() : Infinity), merchant });
    return merchant;
  }
}
