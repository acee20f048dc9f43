// What one token may do to another (issue 12 item 1): a token never grants, outlives, revokes or
// rotates more than it holds itself. Pure functions over rows, so every rule has one home.
import { conflict, HttpError, invalidRequest, type ErrorDetail } from '../http/errors.ts';

/** The caller as the rules see it: the operator, or one of the handle's tokens. */
export type Grantor = { kind: 'admin' } | { kind: 'token'; tokenId: string; scopes: readonly string[]; expiresAt: Date | null; isOwner: boolean };

export interface TargetToken { tokenId: string; scopes: readonly string[]; isOwner: boolean; revokedAt: Date | null; expiresAt: Date | null }

const missingScopes = (holder: readonly string[], wanted: readonly string[]) => wanted.filter((s) => !holder.includes(s));

function lacking(missing: string[], what: string, pointer?: (scope: string) => string): HttpError {
  const list = missing.map((s) => `"${s}"`).join(', ');
  return new HttpError(403, 'insufficient_scope', `${what}; this token lacks ${list}.`,
    pointer ? missing.map((s) => ({ pointer: pointer(s), message: 'is not a scope of the calling token' })) : undefined);
}

/**
 * The scopes and expiry of a new token, or why the caller may not mint it: scopes beyond its own are
 * 403 insufficient_scope (an authorisation the caller lacks); an expiry after its own is 422
 * `expiry_exceeds_token` (the caller may mint, the value is out of range). A child of an expiring
 * token that asks for no expiry gets its parent's.
 */
export function grant(caller: Grantor, input: { scopes: string[]; expiresAt?: string }, now = new Date()): { scopes: string[]; expiresAt: Date | null } {
  const requested = requestedExpiry(input.expiresAt, now);
  if (caller.kind === 'admin' || caller.isOwner) return { scopes: input.scopes, expiresAt: requested };
  const missing = missingScopes(caller.scopes, input.scopes);
  if (missing.length) {
    throw lacking(missing, 'A token can only create tokens with scopes it holds itself', (s) => `/body/scopes/${input.scopes.indexOf(s)}`);
  }
  return { scopes: input.scopes, expiresAt: childExpiry(caller, requested) };
}

const PAST = { pointer: '/body/expiresAt', message: 'must be in the future' };

/** A new token's `expiresAt` as asked for (null: none), 400 when it is not in the future. */
export function requestedExpiry(expiresAt: string | undefined, now = new Date()): Date | null {
  const requested = expiresAt ? new Date(expiresAt) : null;
  if (requested && requested.getTime() <= now.getTime()) throw invalidRequest('expiresAt must be in the future.', [PAST]);
  return requested;
}

/** A past `expiresAt` of a token body that failed its schema, beside the schema's details (RouteDef.moreBodyProblems). */
export function expiryProblems(body: unknown): ErrorDetail[] {
  const expiresAt = (body as { expiresAt?: unknown } | null)?.expiresAt;
  return typeof expiresAt === 'string' && Date.parse(expiresAt) <= Date.now() ? [PAST] : [];
}

/**
 * The expiry of a token `caller` mints (a PAT, or a partner's portal token): never after the caller's
 * own (422 `expiry_exceeds_token`); none asked for → the caller's. The operator and the owner token never expire.
 */
export function childExpiry(caller: Grantor, requested: Date | null): Date | null {
  if (caller.kind === 'admin' || caller.isOwner) return requested;
  const limit = caller.expiresAt;
  if (!limit) return requested;
  if (!requested) return limit;
  if (requested.getTime() > limit.getTime()) {
    throw new HttpError(422, 'expiry_exceeds_token', `A token can only create tokens that expire no later than itself (${limit.toISOString()}).`,
      [{ pointer: '/body/expiresAt', message: `must be at most ${limit.toISOString()}` }]);
  }
  return requested;
}

/** Whether the caller may act on (revoke, rotate) the target: the operator, the owner, or a token holding every scope of it. */
function assertHoldsTarget(caller: Grantor, target: TargetToken, action: string): void {
  if (caller.kind === 'admin' || caller.isOwner) return;
  const missing = missingScopes(caller.scopes, target.scopes);
  if (missing.length) throw lacking(missing, `Only a token holding every scope of the target (or the owner token) may ${action} it`);
}

export function assertMayRevoke(caller: Grantor, target: TargetToken): void {
  assertHoldsTarget(caller, target, 'revoke');
  if (target.isOwner) {
    throw conflict('The owner token cannot be revoked (the handle would be left without one); rotate it instead: POST .../tokens/{tokenId}/rotate.');
  }
}

export function assertMayRotate(caller: Grantor, target: TargetToken): void {
  // Rotating the owner token takes the handle over: only the owner itself or the operator may.
  if (target.isOwner && caller.kind === 'token' && !caller.isOwner) {
    throw new HttpError(403, 'forbidden', 'Only the owner token itself or the operator may rotate the owner token.');
  }
  assertHoldsTarget(caller, target, 'rotate');
  // Rotating hands the caller the target's new secret: an expiring token must not come away holding one that
  // outlives it (it could not mint such a token either, 422 expiry_exceeds_token).
  if (caller.kind === 'token' && !caller.isOwner && caller.expiresAt && (!target.expiresAt || target.expiresAt.getTime() > caller.expiresAt.getTime())) {
    throw new HttpError(403, 'forbidden', `A token may rotate only tokens that expire no later than itself (${caller.expiresAt.toISOString()}); this one ${target.expiresAt ? `expires at ${target.expiresAt.toISOString()}` : 'never expires'}.`);
  }
  if (target.revokedAt) throw conflict('A revoked token cannot be rotated; create a new one.');
}
