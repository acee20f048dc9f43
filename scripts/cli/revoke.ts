// Revoking a token (a handle's PAT, a partner's portal token): the API answers 200 with the token both the first time and
// on a repeat, which keeps the first revokedAt. What the token was before the call tells which it was: a second
// `tokens revoke` printed "Revoked" again, as if it had just ended a token that had been dead for a week.
import type { TenxClient } from './client.ts';
import { ApiError } from './errors.ts';

export interface Revocable {
  tokenId: string;
  name: string;
  revokedAt?: string | null;
}

/**
 * DELETE `{list}/{tokenId}` (its list path: the same scope as the revocation), and whether the token was revoked already.
 * A list the API refuses counts as "not revoked before": the DELETE's answer (404, 403 …) is what the user is told.
 */
export async function revokeToken<T extends Revocable>(
  c: TenxClient,
  list: string,
  tokenId: string,
): Promise<{ token: T; already: boolean }> {
  const before = await c.list<T>(list).then(
    (page) => page.data.find((t) => t.tokenId === tokenId),
    (err: unknown) => {
      if (err instanceof ApiError) return undefined;
      throw err;
    },
  );
  const token = await c.delete<T>(`${list}/${encodeURIComponent(tokenId)}`);
  return { token, already: Boolean(before?.revokedAt) };
}

/** "Already revoked (at …)": a repeat changed nothing, and says when the token was revoked. */
export const alreadyRevoked = (what: string, revokedAt: string | null | undefined) =>
  `Already revoked${revokedAt ? ` (at ${revokedAt})` : ''}: ${what}; nothing changed.\n`;
