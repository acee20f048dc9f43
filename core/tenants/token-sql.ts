// SQL over access_tokens for other modules: the tenants module owns the table and what "live" means.

/** The ids among `ids` (an SQL uuid[] expression) of access tokens neither revoked nor expired. */
export const liveAccessTokenIdsSql = (ids: string) => `select token_id from access_tokens
                where token_id = any(${ids}) and revoked_at is null and (expires_at is null or expires_at > now())`;

/** The live access token whose SHA-256 hash is `hash` (an SQL text expression): token_id, handle, scopes, expires_at. */
export const liveAccessTokenByHashSql = (hash: string) => `select token_id, handle, scopes, expires_at from access_tokens
        where token_hash = ${hash} and revoked_at is null and (expires_at is null or expires_at > now())`;
