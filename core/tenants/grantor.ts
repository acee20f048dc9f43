import type { Pool, PoolClient } from 'pg';
import { unauthorized } from '../http/errors.ts';
import type { Principal } from '../http/route.ts';
import type { Grantor } from './token-rules.ts';

/**
 * The caller as the token rules see it (token-rules.ts): the operator, or its own live access token
 * row, locked against a concurrent revocation (inside a transaction) so a token revoked meanwhile
 * cannot finish minting a child, and still holding the secret the request presented (a secret rotated
 * away since the request was authenticated is 401 here too). Used for PATs and for the partner tokens a PAT issues.
 */
export async function loadGrantor(db: Pool | PoolClient, principal: Principal, handle: string): Promise<Grantor> {
  if (principal.kind === 'admin') return { kind: 'admin' };
  const { rows: [row] } = await db.query<{ scopes: string[]; expiresAt: Date | null; isOwner: boolean }>(
    `select scopes, expires_at as "expiresAt", is_owner as "isOwner" from access_tokens
      where token_id = $1 and handle = $2 and revoked_at is null and (expires_at is null or expires_at > now())
        and ($3::text is null or token_hash = $3)
      for share`,
    [principal.actor, handle, principal.tokenHash ?? null],
  );
  if (!row) throw unauthorized('The bearer token is not valid, has expired or was revoked.');
  return { kind: 'token', tokenId: principal.actor, ...row };
}
