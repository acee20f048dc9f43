import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { AuditService } from '../audit/index.ts';
import { hashToken, PARTNER_TOKEN_PREFIX } from '../http/auth.ts';
import { conflict, invalidRequest, notFound } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import type { Principal } from '../http/route.ts';
import type { OutboxService } from '../outbox/index.ts';
import { childExpiry, loadGrantor, requestedExpiry } from '../tenants/index.ts';
import { PartnerEntity, PartnerTokenEntity, type Partner, type PartnerStatus, type PartnerToken } from './entities.ts';
import { moneyText } from '../commissions/index.ts';

const PARTNERS_CURSOR = listCursor('partners', ['text']);
const PARTNER_TOKENS_CURSOR = listCursor('partner-tokens', ['uuid']);

export interface CreatePartnerInput {
  partnerId: string;
  name: string;
  email?: string | null;
  status: PartnerStatus;
  minimumPayout: number;
}

export type PartnerPatch = Partial<Omit<CreatePartnerInput, 'partnerId'>>;

const mintToken = () => PARTNER_TOKEN_PREFIX + randomBytes(32).toString('base64url');

/** Exact cents as numeric text: a JSON number with at most 2 fraction digits, else 400 at its pointer. */
function cents(value: number, pointer: string): string {
  // Read from the number's own text (core/commissions/money.ts): a tolerance in cents took 9e-9 for 0.00.
  if (moneyText(value) === null) {
    throw invalidRequest('The request body is invalid.', [{ pointer, message: 'must have at most 2 fraction digits' }]);
  }
  return value.toFixed(2);
}

export const presentPartner = (p: Partner) => ({
  partnerId: p.partnerId, name: p.name, email: p.email, status: p.status,
  // Shown as a JSON number (the contract's money); it is never added up in JS.
  minimumPayout: Number(p.minimumPayout),
  createdAt: p.createdAt, updatedAt: p.updatedAt,
});

const presentToken = (t: PartnerToken) => ({
  tokenId: t.tokenId, partnerId: t.partnerId, name: t.name, scopes: t.scopes,
  expiresAt: t.expiresAt, createdAt: t.createdAt, revokedAt: t.revokedAt,
});

/** A handle's partners and their partner tokens. */
export class PartnerService {
  private readonly deps: { em: EntityManager; pg: Pool; principal: Principal; audit: AuditService; outbox: OutboxService };

  constructor(deps: { em: EntityManager; pg: Pool; principal: Principal; audit: AuditService; outbox: OutboxService }) {
    this.deps = deps;
  }

  async create(handle: string, input: CreatePartnerInput) {
    const now = new Date();
    const partner = this.deps.em.create(PartnerEntity, {
      handle, partnerId: input.partnerId, name: input.name, email: input.email ?? null, status: input.status,
      minimumPayout: cents(input.minimumPayout, '/body/minimumPayout'), createdAt: now, updatedAt: now,
    });
    try {
      await this.deps.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict(`Partner "${input.partnerId}" already exists in this handle.`);
      throw err;
    }
    const shown = presentPartner(partner);
    await this.record(handle, 'partner.created', input.partnerId, { partner: shown });
    return shown;
  }

  async list(handle: string, q: { status?: PartnerStatus; limit: number; cursor?: string }) {
    const after = PARTNERS_CURSOR.after(q.cursor, handle);
    const rows = await this.deps.em.find(
      PartnerEntity,
      { handle, ...(q.status && { status: q.status }), ...(after && { partnerId: { $gt: String(after[0]) } }) },
      { orderBy: { partnerId: 'asc' }, limit: q.limit + 1 },
    );
    const page = PARTNERS_CURSOR.page(rows, q.limit, (p) => [p.partnerId], handle);
    return { data: page.data.map(presentPartner), nextCursor: page.nextCursor };
  }

  async find(handle: string, partnerId: string): Promise<Partner> {
    const partner = await this.deps.em.findOne(PartnerEntity, { handle, partnerId });
    if (!partner) throw notFound('Partner');
    return partner;
  }

  async get(handle: string, partnerId: string) {
    return presentPartner(await this.find(handle, partnerId));
  }

  async update(handle: string, partnerId: string, patch: PartnerPatch) {
    const partner = await this.find(handle, partnerId);
    const before = presentPartner(partner);
    if (patch.name !== undefined) partner.name = patch.name;
    if (patch.email !== undefined) partner.email = patch.email;
    if (patch.status !== undefined) partner.status = patch.status;
    if (patch.minimumPayout !== undefined) partner.minimumPayout = cents(patch.minimumPayout, '/body/minimumPayout');
    const after = presentPartner(partner);
    const changed = (Object.keys(after) as Array<keyof typeof after>).filter((k) => k !== 'updatedAt' && before[k] !== after[k]);
    if (!changed.length) return before;
    partner.updatedAt = new Date();
    await this.deps.em.flush();
    const diff = (o: Record<string, unknown>) => Object.fromEntries(changed.map((k) => [k, o[k]]));
    await this.record(handle, 'partner.updated', partnerId, { before: diff(before), after: diff(after) });
    const shown = presentPartner(partner);
    // Written after the ORM's flush (as the audit event is): the ORM's unit of work is not the pool's transaction.
    await this.deps.outbox.emit(this.deps.pg, [{ handle, type: 'partner.updated', data: { ...shown, previous: diff(before) } }]);
    this.deps.outbox.wake();
    return shown;
  }

  async createToken(handle: string, partnerId: string, input: { name: string; scopes: string[]; expiresAt?: string }) {
    await this.find(handle, partnerId);
    // A token never outlives the one that minted it (like a PAT's child): a PAT that expires tonight
    // cannot hand a partner a portal token for ever.
    const expiresAt = childExpiry(await loadGrantor(this.deps.pg, this.deps.principal, handle), requestedExpiry(input.expiresAt));
    const token = mintToken();
    const row = this.deps.em.create(PartnerTokenEntity, {
      tokenId: uuidv7(), handle, partnerId, name: input.name, scopes: input.scopes, tokenHash: hashToken(token),
      expiresAt, revokedAt: null, createdAt: new Date(),
    });
    await this.deps.em.flush();
    await this.record(handle, 'partner_token.created', row.tokenId, { partnerId, name: row.name, scopes: row.scopes, expiresAt });
    return { ...presentToken(row), token };
  }

  async listTokens(handle: string, partnerId: string, limit: number, cursor?: string) {
    await this.find(handle, partnerId);
    const after = PARTNER_TOKENS_CURSOR.after(cursor, handle);
    const rows = await this.deps.em.find(
      PartnerTokenEntity,
      { handle, partnerId, ...(after && { tokenId: { $gt: String(after[0]) } }) },
      { orderBy: { tokenId: 'asc' }, limit: limit + 1 },
    );
    const page = PARTNER_TOKENS_CURSOR.page(rows, limit, (t) => [t.tokenId], handle);
    return { data: page.data.map(presentToken), nextCursor: page.nextCursor };
  }

  /** The partner token making the request, without its secret (its scopes tell a portal what it may do). */
  async currentToken(handle: string, partnerId: string) {
    const row = await this.deps.em.findOneOrFail(PartnerTokenEntity, { handle, partnerId, tokenId: this.deps.principal.actor });
    return presentToken(row);
  }

  async revokeToken(handle: string, partnerId: string, tokenId: string) {
    const row = await this.deps.em.findOne(PartnerTokenEntity, { handle, partnerId, tokenId });
    if (!row) throw notFound('Token');
    if (!row.revokedAt) {
      row.revokedAt = new Date();
      await this.deps.em.flush();
      await this.record(handle, 'partner_token.revoked', tokenId, { partnerId, name: row.name });
    }
    return presentToken(row);
  }

  private record(handle: string, type: string, subjectId: string, payload: Record<string, unknown>) {
    return this.deps.audit.record({ handle, type, actor: this.deps.principal.actor, subjectId, payload });
  }
}
