// A handle names a tenant in every path (/v2/handles/{handle}/..., /{handle}/{slug}): its pattern and the
// path params every module's route table declares. Kernel-level, so no module imports another for it.

/** First path segments the server itself answers: never a handle. */
export const RESERVED_HANDLES = ['v2', 'api', 'docs', 'healthz', 'readyz', 'metrics', 'static', 'assets', 'admin', 'dashboard', 'sdk'];
export const HANDLE_PATTERN = '^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$';

export const handleParam = { type: 'string', pattern: HANDLE_PATTERN } as const;
/** Path params of every /v2/handles/{handle}/... route. */
export const handleParams = { type: 'object', properties: { handle: handleParam } } as const;
