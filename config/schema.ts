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
}

export const envSchema = {
  PORT: { type: 'integer', default: 3000, minimum: 0, maximum: 65535, description: 'HTTP port (0 picks a free one).' },
  HOST: { type: 'string', default: '0.0.0.0', description: 'Interface to listen on.' },
  PUBLIC_URL: { type: 'string', default: '', pattern: '^(https?://[^\\s/]+)?$', description: 'Base of short URLs (e.g. https://go.example.com); defaults to http://localhost:PORT.' },
  DATABASE_URL: { type: 'string', default: '', pattern: '^(postgres(ql)?://.*)?$', description: 'PostgreSQL URL. Empty: embedded PostgreSQL (PGlite) under DATA_DIR.' },
  DATABASE_POOL_MAX: { type: 'integer', default: 10, minimum: 1, maximum: 200, description: 'Connections in the database pool.' },
  REDIS_URL: { type: 'string', default: '', pattern: '^(rediss?://.*)?$', description: 'Redis URL. Empty: in-process cache invalidation, counters and job scheduling.' },
  REDIS_PREFIX: { type: 'string', default: 'tenx', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Namespace of every Redis key, channel and queue (lets several deployments or test runs share one Redis).' },
  ADMIN_TOKEN: { type: 'string', default: '', secret: true, description: 'Operator token for POST /v2/handles. Generated and printed once when empty in embedded mode (kept in DATA_DIR).' },
  DATA_DIR: { type: 'string', default: './data', description: 'Where embedded mode keeps its database and generated secrets.' },
  TRUSTED_PROXIES: { type: 'string', default: '', description: 'Comma-separated IPs/CIDRs whose x-forwarded-for is honoured.' },
  COUNTRY_HEADER: { type: 'string', default: 'cf-ipcountry', description: 'Edge header carrying the visitor country (two letters).' },
  LOG_LEVEL: { type: 'string', default: 'info', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'pino log level.' },
  CTX_SECRETS: { type: 'string', default: '', secret: true, description: 'Comma-separated ctx signing keys, newest first; older ones still verify (rotation). Generated into DATA_DIR when empty.' },
  SECRET_KEY: { type: 'string', default: '', secret: true, description: 'Key material for encrypting webhook secrets at rest (AES-256-GCM). Generated into DATA_DIR when empty.' },
  PLUGINS: { type: 'string', default: '', description: 'Extra plugins: comma-separated paths or package names.' },
  TENANTS_DIR: { type: 'string', default: './tenants', description: 'Folder of tenants/<handle>.json plugin configuration files.' },
  REDIRECT_OFFLOAD: { type: 'string', default: 'auto', enum: ['auto', 'workers', 'inline'], description: 'Where routing-rule matching and ctx signing run: worker pool, inline, or auto (a link moves to the workers only when its sampled matching is slower than a worker round trip, i.e. slow plugin conditions).' },
  WORKER_THREADS: { type: 'integer', default: 2, minimum: 1, maximum: 64, description: 'piscina pool size.' },
  CLICK_FLUSH_MS: { type: 'integer', default: 100, minimum: 5, maximum: 60000, description: 'Click buffer flush interval.' },
  CLICK_BATCH_SIZE: { type: 'integer', default: 1000, minimum: 1, maximum: 50000, description: 'Click buffer flush size.' },
  CLICK_BUFFER_MAX: { type: 'integer', default: 200000, minimum: 100, maximum: 10000000, description: 'Clicks kept while the database is down before new ones are dropped (counted in a metric).' },
  PUBLIC_RATE_LIMIT: { type: 'integer', default: 50, minimum: 0, maximum: 1000000, description: 'Public conversion requests per second per client IP (bursts up to 10x); 0 disables.' },
  MAX_CONVERSIONS_PER_CLICK: { type: 'integer', default: 10, minimum: 1, maximum: 1000000, description: 'Conversions one click (ctx) may back per event type; beyond, 422 too_many_conversions_for_click.' },
  IDEMPOTENCY_RETENTION_DAYS: { type: 'integer', default: 365, minimum: 1, maximum: 3650, description: 'How long conversion idempotency keys are kept.' },
  DELIVERY_RETENTION_DAYS: { type: 'integer', default: 90, minimum: 1, maximum: 3650, description: 'How long finished webhook deliveries (succeeded or failed) and their attempts stay in the notifications panel.' },
  WEBHOOK_ALLOW_PRIVATE: { type: 'boolean', default: false, description: 'Allow http and private/loopback webhook endpoints (development and tests).' },
  WEBHOOK_RETRY_BASE_MS: { type: 'integer', default: 5000, minimum: 1, maximum: 3600000, description: 'First webhook retry delay; each next one doubles (5 retries).' },
  WEBHOOK_TIMEOUT_MS: { type: 'integer', default: 10000, minimum: 100, maximum: 60000, description: 'A delivery must get a 2xx within this time.' },
  WEBHOOK_SECRET_OVERLAP_S: { type: 'integer', default: 86400, minimum: 0, maximum: 2592000, description: 'After a rotation, the previous secret also signs for this long.' },
  WEBHOOK_CONCURRENCY: { type: 'integer', default: 50, minimum: 1, maximum: 1000, description: 'Webhook sends in flight per server process.' },
  WEBHOOK_SIGNING: { type: 'string', default: 'auto', enum: ['auto', 'workers', 'inline'], description: 'Where webhook HMAC signing runs: worker pool, inline, or auto (workers only for large bodies, where signing costs more than a pool round trip).' },
  SHUTDOWN_TIMEOUT_MS: { type: 'integer', default: 10000, minimum: 100, maximum: 600000, description: 'Longest graceful shutdown before forcing exit.' },
  ANALYTICS_SSE_HEARTBEAT_MS: { type: 'integer', default: 15000, minimum: 100, maximum: 300000, description: 'Heartbeat comment interval of the analytics live stream (Server-Sent Events).' },
  ANALYTICS_SSE_POLL_MS: { type: 'integer', default: 1000, minimum: 100, maximum: 600000, description: 'How often the analytics live stream checks a watched handle for changes nobody announced on the bus (the fallback for writers that do not publish analytics.changed).' },
} satisfies Record<string, EnvVar>;

export type EnvName = keyof typeof envSchema;
