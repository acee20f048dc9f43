import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { conflict, invalidRequest, notFound } from '../http/errors.ts';
import { hashToken, PAT_PREFIX } from '../http/auth.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import { SCOPES, type Principal } from '../http/route.ts';
import type { AuditService } from '../audit/service.ts';
import { AccessTokenEntity, TenantEntity, type AccessToken, type Tenant } from './entities.ts';
import type { PublicConversions } from './settings.ts';

const mintToken = () => PAT_PREFIX + randomBytes(32).toString('base64url');

const publicToken = (t: AccessToken) => ({
  tokenId: t.tokenId, name: t.name, scopes: t.scopes, expiresAt: t.expiresAt, createdAt: t.createdAt, revokedAt: t.revokedAt,
});

/** Handles (tenants) and their personal access tokens. */
export class TenantService {
  constructor(private readonly deps: { em: EntityManager; principal: Principal; audit: AuditService }) {}

  async createHandle(input: { handle: string; name: string; reportingCurrency: string; publicConversions: PublicConversions }) {
    const token = mintToken();
    let tenant!: Tenant;
    try {
      // The tenant row must exist before its owner token (foreign key), both in one transaction.
      await this.deps.em.transactional(async (em) => {
        tenant = em.create(TenantEntity, { ...input, createdAt: new Date() });
        await em.flush();
        em.create(AccessTokenEntity, {
          tokenId: uuidv7(), handle: input.handle, name: 'owner', scopes: [...SCOPES], tokenHash: hashToken(token),
          expiresAt: null, revokedAt: null, createdAt: new Date(),
        });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict(`Handle "${input.handle}" already exists.`);
      throw err;
    }
    const { handle, name, reportingCurrency, publicConversions, createdAt } = tenant;
    return { handle, name, reportingCurrency, publicConversions, createdAt, ownerToken: token };
  }

  async getHandle(handle: string) {
    const tenant = await this.deps.em.findOne(TenantEntity, { handle });
    if (!tenant) throw notFound('Handle');
    return tenant;
  }

  async createToken(handle: string, input: { name: string; scopes: string[]; expiresAt?: string }) {
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw invalidRequest('expiresAt must be in the future.', [{ pointer: '/body/expiresAt', message: 'must be in the future' }]);
    }
    const token = mintToken();
    const row = this.deps.em.create(AccessTokenEntity, {
      tokenId: uuidv7(), handle, name: input.name, scopes: input.scopes, tokenHash: hashToken(token),
      expiresAt, revokedAt: null, createdAt: new Date(),
    });
    await this.deps.em.flush();
    await this.deps.audit.record({ handle, type: 'token.created', actor: this.deps.principal.actor, subjectId: row.tokenId, payload: { name: row.name, scopes: row.scopes, expiresAt } });
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
    const after = decodeCursor(cursor, ['uuid']);
    const rows = await this.deps.em.find(
      AccessTokenEntity,
      { handle, ...(after && { tokenId: { $gt: String(after[0]) } }) },
      { orderBy: { tokenId: 'asc' }, limit: limit + 1 },
    );
    const page = toPage(rows, limit, (t) => [t.tokenId]);
    return { data: page.data.map(publicToken), nextCursor: page.nextCursor };
  }

  async revokeToken(handle: string, tokenId: string) {
    const row = await this.deps.em.findOne(AccessTokenEntity, { handle, tokenId });
    if (!row) throw notFound('Token');
    if (!row.revokedAt) {
      row.revokedAt = new Date();
      await this.deps.em.flush();
      await this.deps.audit.record({ handle, type: 'token.revoked', actor: this.deps.principal.actor, subjectId: tokenId, payload: { name: row.name } });
    }
    return publicToken(row);
  }
}
