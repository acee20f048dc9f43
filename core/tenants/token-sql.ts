// SQL over access_tokens for other modules: the tenants module owns the table and what "live" means.

/**
 * The hashes among `hashes` (an SQL text[] expression) of access tokens neither revoked nor expired.
 * By hash, not id: a rotated token keeps its id, and the secret it replaced must stop working.
 */
export const liveAccessTokenHashesSql = (hashes: string) => `select token_hash from access_tokens
                where token_hash = any(${hashes}) and revoked_at is null and (expires_at is null or expires_at > now())`;

/** The live access token whose SHA-256 hash is `hash` (an SQL text expression): token_id, handle, scopes, expires_at. */
export const liveAccessTokenByHashSql = (hash: string) => `select token_id, handle, scopes, expires_at from access_tokens
        where token_hash = ${hash} and revoked_at is null and (expires_at is null or expires_at > now())`;
