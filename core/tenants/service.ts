import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Pool, PoolClient } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, notFound } from '../http/errors.ts';
import { hashToken, PAT_PREFIX } from '../http/auth.ts';
import { listCursor } from '../http/pagination.ts';
import { withTransaction } from '../db/transaction.ts';
import { SCOPES, type Principal } from '../http/route.ts';
import type { AuditService } from '../audit/index.ts';
import type { Bus } from '../infra/bus.ts';
import { AccessTokenEntity, TenantEntity, type AccessToken } from './entities.ts';
import { loadGrantor } from './grantor.ts';
import { assertMayRevoke, assertMayRotate, grant } from './token-rules.ts';
import type { PublicConversions } from './settings.ts';

const TOKENS_CURSOR = listCursor('tokens', ['uuid']);

/**
 * Bus channel: a token was revoked or its secret rotated (`{handle, tokenId}`). A process that remembers
 * valid tokens (the conversions endpoint's MerchantAuth) forgets it: the old secret is refused at once on
 * every process, not once its memory of the token runs out.
 */
export const TOKEN_CHANGED = 'tokens.changed';

const mintToken = () => PAT_PREFIX + randomBytes(32).toString('base64url');

type PublicFields = Pick<AccessToken, 'tokenId' | 'name' | 'scopes' | 'expiresAt' | 'createdAt' | 'revokedAt'>;
const publicToken = (t: PublicFields & { isOwner?: boolean }) => ({
  tokenId: t.tokenId, name: t.name, scopes: t.scopes, expiresAt: t.expiresAt, createdAt: t.createdAt, revokedAt: t.revokedAt,
  ...(t.isOwner !== undefined && { owner: t.isOwner }),
});

const TOKEN_COLUMNS = `token_id as "tokenId", name, scopes, is_owner as "isOwner", expires_at as "expiresAt",
  created_at as "createdAt", revoked_at as "revokedAt"`;
type TokenRow = PublicFields & { isOwner: boolean };

/** Handles (tenants) and their personal access tokens; every token write commits with its audit row. */
export class TenantService {
  private readonly deps: { em: EntityManager; pg: Pool; principal: Principal; audit: AuditService; bus: Bus };
  constructor(deps: { em: EntityManager; pg: Pool; principal: Principal; audit: AuditService; bus: Bus }) {
    this.deps = deps;
  }

  async createHandle(input: { handle: string; name: string; reportingCurrency: string; publicConversions: PublicConversions }) {
    const token = mintToken();
    try {
      // The tenant row must exist before its owner token (foreign key), both in one transaction.
      const tenant = await withTransaction(this.deps.pg, async (client) => {
        const { rows: [t] } = await client.query(
          `insert into tenants (handle, name, reporting_currency, public_conversions, created_at) values ($1, $2, $3, $4, now())
           returning handle, name, reporting_currency as "reportingCurrency", public_conversions as "publicConversions",
                     created_at as "createdAt"`,
          [input.handle, input.name, input.reportingCurrency, input.publicConversions],
        );
        await client.query(
          `insert into access_tokens (token_id, handle, name, scopes, is_owner, token_hash) values ($1, $2, 'owner', $3, true, $4)`,
          [uuidv7(), input.handle, [...SCOPES], hashToken(token)],
        );
        return t;
      });
      return { ...tenant, ownerToken: token };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict(`Handle "${input.handle}" already exists.`);
      throw err;
    }
  }

  async getHandle(handle: string) {
    const tenant = await this.deps.em.findOne(TenantEntity, { handle });
    if (!tenant) throw notFound('Handle');
    return tenant;
  }

  async createToken(handle: string, input: { name: string; scopes: string[]; expiresAt?: string }) {
    const token = mintToken();
    const row = await withTransaction(this.deps.pg, async (client) => {
      const { scopes, expiresAt } = grant(await loadGrantor(client, this.deps.principal, handle), input);
      const { rows: [created] } = await client.query<TokenRow>(
        `insert into access_tokens (token_id, handle, name, scopes, token_hash, expires_at) values ($1, $2, $3, $4, $5, $6)
         returning ${TOKEN_COLUMNS}`,
        [uuidv7(), handle, input.name, scopes, hashToken(token), expiresAt],
      );
      await this.audit(client, handle, 'token.created', created.tokenId, { name: created.name, scopes, expiresAt });
      return created;
    });
    return { ...publicToken(row), token };
  }

  /** The calling token itself (no secret): what it may do, so clients need not probe. */
  async currentToken(handle: string) {
    const { principal } = this.deps;
    if (principal.kind === 'admin') return { kind: 'admin', tokenId: null, name: null, handle, scopes: [...principal.scopes], expiresAt: null, createdAt: null };
    const row = await this.deps.em.findOneOrFail(AccessTokenEntity, { handle, tokenId: principal.actor });
    const { revokedAt: _revoked, ...token } = publicToken(row);
    return { kind: 'pat', handle, ...token };
  }

  async listTokens(handle: string, limit: number, cursor?: string) {
    const after = TOKENS_CURSOR.after(cursor, handle);
    const rows = await this.deps.em.find(
      AccessTokenEntity,
      { handle, ...(after && { tokenId: { $gt: String(after[0]) } }) },
      { orderBy: { tokenId: 'asc' }, limit: limit + 1 },
    );
    const page = TOKENS_CURSOR.page(rows, limit, (t) => [t.tokenId], handle);
    return { data: page.data.map(publicToken), nextCursor: page.nextCursor };
  }

  async revokeToken(handle: string, tokenId: string) {
    const revoked = await withTransaction(this.deps.pg, async (client) => {
      await this.lockBoth(client, handle, tokenId);
      const caller = await loadGrantor(client, this.deps.principal, handle);
      const target = await this.lockToken(client, handle, tokenId);
      assertMayRevoke(caller, target);
      if (target.revokedAt) return publicToken(target);
      const { rows: [row] } = await client.query<TokenRow>(
        `update access_tokens set revoked_at = now() where token_id = $1 returning ${TOKEN_COLUMNS}`, [tokenId],
      );
      await this.audit(client, handle, 'token.revoked', tokenId, { name: row.name });
      return publicToken(row);
    });
    // Committed: delivered to every process before the answer, so none accepts the token from then on.
    await this.deps.bus.deliver(TOKEN_CHANGED, { handle, tokenId });
    return revoked;
  }

  /**
   * A new secret for the same token (id, name, scopes, expiry unchanged); the old secret stops
   * working at once. The one way to replace the owner token's secret, which cannot be revoked.
   */
  async rotateToken(handle: string, tokenId: string) {
    const token = mintToken();
    const row = await withTransaction(this.deps.pg, async (client) => {
      await this.lockBoth(client, handle, tokenId);
      const caller = await loadGrantor(client, this.deps.principal, handle);
      const target = await this.lockToken(client, handle, tokenId);
      assertMayRotate(caller, target);
      const { rows: [rotated] } = await client.query<TokenRow>(
        `update access_tokens set token_hash = $2 where token_id = $1 returning ${TOKEN_COLUMNS}`, [tokenId, hashToken(token)],
      );
      await this.audit(client, handle, 'token.rotated', tokenId, { name: rotated.name, owner: rotated.isOwner });
      return rotated;
    });
    await this.deps.bus.deliver(TOKEN_CHANGED, { handle, tokenId });
    return { ...publicToken(row), token };
  }

  /**
   * The caller's and the target's rows, locked for update in one order before either is read: the owner
   * rotating itself twice at once took a share lock, then wanted to upgrade it (deadlock, 503); two tokens
   * acting on each other would lock in opposite orders. The loser then finds its secret replaced (401).
   */
  private async lockBoth(client: PoolClient, handle: string, tokenId: string): Promise<void> {
    const { kind, actor } = this.deps.principal;
    const ids = kind === 'token' ? [actor, tokenId] : [tokenId];
    await client.query(`select 1 from access_tokens where handle = $1 and token_id = any($2::uuid[]) order by token_id for update`, [handle, ids]);
  }

  private async lockToken(client: PoolClient, handle: string, tokenId: string): Promise<TokenRow> {
    const { rows: [row] } = await client.query<TokenRow>(
      `select ${TOKEN_COLUMNS} from access_tokens where handle = $1 and token_id = $2 for update`, [handle, tokenId],
    );
    if (!row) throw notFound('Token');
    return row;
  }

  private audit(client: PoolClient, handle: string, type: string, subjectId: string, payload: Record<string, unknown>) {
    return this.deps.audit.record({ handle, type, actor: this.deps.principal.actor, subjectId, payload }, client);
  }
}
