// Every setting tenx reads, with its default and meaning. The README's configuration table and
// the start-up validation both come from this one object.

export interface EnvVar {
  type: 'string' | 'integer' | 'boolean' | 'number';
  default?: string | number | boolean;
  description: string;
  enum?: string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  secret?: boolean;
  /** A secret (each item of a comma-separated list) must have at least this many characters when set. */
  minSecretLength?: number;
  /** What the configuration table shows as the default when the empty default stands for one computed at start. */
  shownDefault?: string;
}

export const envSchema = {
  PORT: { type: 'integer', default: 3000, minimum: 0, maximum: 65535, description: 'HTTP port (0 picks a free one).' },
  WORKERS: { type: 'integer', default: 0, minimum: 0, maximum: 1024, description: 'Server processes `tenx serve` runs on one port (node:cluster), each a whole stateless tenx with its own pools; `--workers N` overrides. 0: one per available core with DATABASE_URL and REDIS_URL, else 1 (embedded mode cannot run more: PGlite lives in one process; without Redis, processes could not share cache invalidation, counters and queues); at most 4 per core (or 8), so a typo cannot fork a thousand.' },
  HOST: { type: 'string', default: '0.0.0.0', description: 'Interface to listen on.' },
  PUBLIC_URL: { type: 'string', default: '', pattern: '^(https?://[^\\s/]+)?$', description: 'Base of short URLs (e.g. https://go.example.com); defaults to http://HOST:PORT (http://localhost:PORT when HOST is every interface: 0.0.0.0 or ::).' },
  DATABASE_URL: { type: 'string', default: '', pattern: '^(postgres(ql)?://.*)?$', description: 'PostgreSQL URL; a database of that name that does not exist yet is created at start (a misspelt name starts an empty tenx). Empty: embedded PostgreSQL (PGlite) under DATA_DIR.' },
  DATABASE_READ_URL: { type: 'string', default: '', pattern: '^(postgres(ql)?://.*)?$', description: 'Optional PostgreSQL URL for the read-only analytics queries (funnel, breakdowns, exports, the live stream, partner balances), e.g. a streaming replica; a pool of its own (DATABASE_POOL_MAX, plus the export pool). Everything that writes, and every read that must see a write at once (tokens, lists after a change), stays on DATABASE_URL. Needs DATABASE_URL. Empty: every query uses DATABASE_URL.' },
  DATABASE_POOL_MAX: { type: 'integer', default: 10, minimum: 1, maximum: 200, description: 'Connections in the database pool.' },
  REDIS_URL: { type: 'string', default: '', pattern: '^(rediss?://.*)?$', description: 'Redis URL. Empty: in-process cache invalidation, counters and job scheduling.' },
  REDIS_PREFIX: { type: 'string', default: '', pattern: '^([A-Za-z0-9_.-]{1,64})?$', description: "Namespace of every Redis key, channel and queue. Empty: `tenx-` and 8 hex digits of the deployment's id (a random id the first start writes into the database), so every process of one deployment shares it and two deployments sharing one Redis never take each other's webhook jobs, messages or counters (a database restored from another deployment's backup shares its id: set a prefix there). Upgrading from a release whose default was `tenx` changes the namespace once: while old and new processes run side by side they do not share the bus or rate limits, and open deliveries are re-enqueued from their rows when the new processes start.", shownDefault: '(derived)' },
  ADMIN_TOKEN: { type: 'string', default: '', secret: true, minSecretLength: 32, description: 'Operator token for POST /v2/handles; at least 32 characters. Empty: generated into DATA_DIR and printed once, with DATABASE_URL too (so set it, with CTX_SECRETS and SECRET_KEY, where several machines serve one database).' },
  METRICS_TOKEN: { type: 'string', default: '', secret: true, minSecretLength: 32, description: 'When set (at least 32 characters), GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (401 without it). Empty: /metrics is public.' },
  DATA_DIR: { type: 'string', default: './data', description: 'Where embedded mode keeps its database and generated secrets.' },
  EMBEDDED_TEMPLATE: { type: 'string', default: '', description: 'Embedded mode: what a new DATA_DIR database starts from. Empty: the data directory shipped in core/db/embedded-template (initdb and migrations done; skipped with a log line if another PGlite version made it); `none`: PGlite runs initdb (5–15 s, ~900 MB RSS); a path: a template file made by `npm run embedded-template -- <file>` (refused if another PGlite version made it). Newer migrations run on start either way.' },
  EMBEDDED_SHARED_BUFFERS_MB: { type: 'integer', default: 16, minimum: 1, maximum: 4096, description: 'Embedded mode: PostgreSQL shared_buffers inside PGlite, in MB (PGlite\'s default, ~160 MB, stays in the process\'s RSS once touched).' },
  TRUSTED_PROXIES: { type: 'string', default: '', description: 'Comma-separated IPs/CIDRs whose x-forwarded-for is honoured.' },
  COUNTRY_HEADER: { type: 'string', default: 'cf-ipcountry', description: 'Edge header carrying the visitor country: an assigned ISO-3166 alpha-2 code (`UK` is read as `GB`); anything else (Cloudflare\'s `XX` and `T1`, `EU`) falls back to GeoIP of the client IP, then `ZZ`.' },
  LOG_LEVEL: { type: 'string', default: 'info', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'pino log level.' },
  CTX_SECRETS: { type: 'string', default: '', secret: true, minSecretLength: 32, description: 'Comma-separated ctx signing keys, newest first, each at least 32 characters; older ones still verify (rotation). Generated into DATA_DIR when empty.' },
  SECRET_KEY: { type: 'string', default: '', secret: true, description: 'Key material for encrypting webhook secrets at rest (AES-256-GCM). Generated into DATA_DIR when empty.' },
  PLUGINS: { type: 'string', default: '', description: 'Extra plugins: comma-separated paths or package names.' },
  TENANTS_DIR: { type: 'string', default: './tenants', description: 'Folder of tenants/<handle>.json plugin configuration files.' },
  REDIRECT_OFFLOAD: { type: 'string', default: 'auto', enum: ['auto', 'workers', 'inline'], description: 'Where routing-rule matching and ctx signing run: worker pool, inline, or auto (a link moves to the workers only when its sampled matching is slower than a worker round trip, i.e. slow plugin conditions).' },
  WORKER_THREADS: { type: 'integer', default: 2, minimum: 1, maximum: 64, description: 'piscina pool size.' },
  CLICK_FLUSH_MS: { type: 'integer', default: 100, minimum: 5, maximum: 60000, description: 'Click buffer flush interval.' },
  CLICK_BATCH_SIZE: { type: 'integer', default: 1000, minimum: 1, maximum: 50000, description: 'Click buffer flush size.' },
  CLICK_BUFFER_MAX: { type: 'integer', default: 200000, minimum: 100, maximum: 10000000, description: 'Clicks kept in memory while the database is down; beyond this they are spilled to disk (CLICK_SPILL_MAX_MB).' },
  CLICK_SPILL_MAX_MB: { type: 'integer', default: 1024, minimum: 0, maximum: 1048576, description: 'Disk budget for clicks beyond CLICK_BUFFER_MAX, kept under DATA_DIR/click-spill and written to PostgreSQL in order once it is back (~2 KB per click at most). When it is full, clicks are still redirected but not stored (tenx_clicks_dropped_total{reason="spill_full"}). 0 disables spilling.' },
  CLICK_RETENTION_DAYS: { type: 'integer', default: 0, minimum: 0, maximum: 36500, description: 'Raw clicks are kept this many days: a daily job drops each month of clicks (one partition of the clicks table) once all of it is older. The hourly and daily rollups stay, so analytics totals do not change; the export and conversions then no longer find those clicks. 0 keeps them forever.' },
  PUBLIC_RATE_LIMIT: { type: 'integer', default: 50, minimum: 0, maximum: 1000000, description: 'Public conversion requests per second per client IP (bursts up to 10x); 0 disables. Merchant-authenticated posts count too (API.md limits the endpoint per IP, and the limit is taken before a token is checked or a body read, so malformed ones count as well): a merchant\'s server backfilling faster than this waits out 429\'s `retry-after`, or the operator raises it.' },
  MAX_CONVERSIONS_PER_CLICK: { type: 'integer', default: 10, minimum: 1, maximum: 1000000, description: 'Conversions one click (ctx) may back per event type, merchant-authenticated and ctx-only ones each; beyond, 422 too_many_conversions_for_click.' },
  IDEMPOTENCY_RETENTION_DAYS: { type: 'integer', default: 365, minimum: 1, maximum: 3650, description: 'How long conversion idempotency keys are kept.' },
  DELIVERY_RETENTION_DAYS: { type: 'integer', default: 90, minimum: 1, maximum: 3650, description: 'How long finished webhook deliveries (succeeded or failed) and their attempts stay in the notifications panel.' },
  WEBHOOK_ALLOW_PRIVATE: { type: 'boolean', default: false, description: 'Allow http and private/loopback webhook endpoints (development and tests).' },
  WEBHOOK_ALLOWED_PORTS: { type: 'string', default: '80,443,8443', pattern: '^\\s*\\d{1,5}(\\s*,\\s*\\d{1,5})*\\s*$', description: 'Comma-separated ports webhook and plugin endpoints may use (any port when WEBHOOK_ALLOW_PRIVATE is set).' },
  WEBHOOK_RETRY_BASE_MS: { type: 'integer', default: 5000, minimum: 1, maximum: 3600000, description: 'First webhook retry delay; each next one doubles (5 retries).' },
  WEBHOOK_TIMEOUT_MS: { type: 'integer', default: 10000, minimum: 100, maximum: 60000, description: 'A delivery must get a 2xx within this time.' },
  WEBHOOK_SECRET_OVERLAP_S: { type: 'integer', default: 86400, minimum: 0, maximum: 2592000, description: 'After a rotation, the previous secret also signs for this long.' },
  WEBHOOK_CONCURRENCY: { type: 'integer', default: 50, minimum: 1, maximum: 1000, description: 'Webhook sends in flight per server process.' },
  WEBHOOK_CONCURRENCY_PER_HANDLE: { type: 'integer', default: 30, minimum: 1, maximum: 1000, description: 'Webhook sends in flight per server process for one handle: a tenant with slow endpoints uses at most this share of WEBHOOK_CONCURRENCY and the others keep theirs.' },
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: { type: 'integer', default: 25, minimum: 1, maximum: 1000, description: 'Webhook sends in flight per server process to one subscription: a slow endpoint only slows itself, not its handle\'s other webhooks.' },
  WEBHOOK_MAX_PER_HANDLE: { type: 'integer', default: 20, minimum: 1, maximum: 10000, description: 'Webhook subscriptions a handle may have; creating one more answers 422 too_many_webhooks.' },
  WEBHOOK_RETRY_TAIL: { type: 'string', default: '', pattern: '^(|off|[1-9][0-9]*[hd])$', description: 'Retry tail for webhooks that opt in (retryTail: true): after the 5 backoff retries, one more attempt every hour until this long after the last of them (e.g. 24h, 3d; empty or off: none). The hour scales with WEBHOOK_RETRY_BASE_MS / 5000, like the backoff.' },
  WEBHOOK_SIGNING: { type: 'string', default: 'auto', enum: ['auto', 'workers', 'inline'], description: 'Where webhook HMAC signing runs: worker pool, inline, or auto (workers only for large bodies, where signing costs more than a pool round trip).' },
  REQUEST_TIMEOUT_MS: { type: 'integer', default: 30000, minimum: 1000, maximum: 300000, description: 'A request\'s headers and body must arrive within this time, else 408 request_timeout and the connection is closed: a client sending its body a byte at a time cannot hold a connection for node:http\'s default 5 minutes. Answers (exports, live streams) are not limited by it.' },
  SHUTDOWN_TIMEOUT_MS: { type: 'integer', default: 10000, minimum: 100, maximum: 600000, description: 'Longest graceful shutdown before forcing exit.' },
  ANALYTICS_SSE_HEARTBEAT_MS: { type: 'integer', default: 15000, minimum: 100, maximum: 300000, description: 'Heartbeat comment interval of the analytics live stream (Server-Sent Events).' },
  ANALYTICS_SSE_POLL_MS: { type: 'integer', default: 1000, minimum: 100, maximum: 600000, description: 'How often the analytics live stream checks a watched handle for changes nobody announced on the bus (the fallback for writers that do not publish analytics.changed).' },
  ANALYTICS_SSE_MAX_PER_TOKEN: { type: 'integer', default: 5, minimum: 1, maximum: 10000, description: 'Analytics live streams one token may hold open on a server process; more answer 429 rate_limited.' },
  ANALYTICS_SSE_MAX_PER_HANDLE: { type: 'integer', default: 20, minimum: 1, maximum: 100000, description: 'Analytics live streams of one handle (all its tokens, partner tokens included) open on a server process; its partners together hold at most half of them and each partner half of that (at least one), so a partner never locks out the managers or every other partner; more answer 429 rate_limited.' },
  EXPORT_MAX_CONCURRENT: { type: 'integer', default: 4, minimum: 1, maximum: 100, description: 'Exports running at once on a server process. Each holds one connection of a dedicated pool of this size (on top of DATABASE_POOL_MAX), so exports never take the connections requests need; more answer 429 rate_limited.' },
  EXPORT_MAX_PER_HANDLE: { type: 'integer', default: 2, minimum: 1, maximum: 100, description: 'Exports one handle may run at once on a server process (partner realm exports included), so one tenant cannot take every export slot; its partners together run at most half of them and each partner half of that (at least one), so a partner cannot take the managers\' slots. More answer 429 rate_limited.' },
  EXPORT_STALL_MS: { type: 'integer', default: 30000, minimum: 100, maximum: 3600000, description: 'Send timeout of exports and payout statements: an export whose reader takes less than EXPORT_MIN_BYTES_PER_S over this window, while rows are waiting for it, is cut (its connection and slot freed).' },
  EXPORT_MIN_BYTES_PER_S: { type: 'integer', default: 8192, minimum: 0, maximum: 1073741824, description: 'Slowest reading speed an export or a payout statement tolerates, averaged over EXPORT_STALL_MS (0: only a reader that takes nothing at all is cut).' },
} satisfies Record<string, EnvVar>;

export type EnvName = keyof typeof envSchema;
