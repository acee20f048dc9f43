import { Ajv, type ValidateFunction } from 'ajv';
import { parseTrustedProxies } from '../core/http/client-ip.ts';
import { envSchema, type EnvVar } from './schema.ts';

export interface Config {
  port: number;
  workers: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  databaseReadUrl: string;
  databasePoolMax: number;
  redisUrl: string;
  redisPrefix: string;
  adminToken: string;
  metricsToken: string;
  dataDir: string;
  embeddedTemplate: string;
  embeddedSharedBuffersMb: number;
  trustedProxies: string;
  countryHeader: string;
  logLevel: string;
  ctxSecrets: string[];
  secretKey: string;
  plugins: string[];
  tenantsDir: string;
  redirectOffload: 'auto' | 'workers' | 'inline';
  workerThreads: number;
  clickFlushMs: number;
  clickBatchSize: number;
  clickBufferMax: number;
  clickSpillMaxMb: number;
  clickRetentionDays: number;
  publicRateLimit: number;
  maxConversionsPerClick: number;
  idempotencyRetentionDays: number;
  deliveryRetentionDays: number;
  webhookAllowPrivate: boolean;
  webhookAllowedPorts: number[];
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
  webhookSecretOverlapS: number;
  webhookConcurrency: number;
  webhookSigning: 'auto' | 'workers' | 'inline';
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  analyticsSseHeartbeatMs: number;
  analyticsSsePollMs: number;
  analyticsSseMaxPerToken: number;
  analyticsSseMaxPerHandle: number;
  exportMaxConcurrent: number;
  exportMaxPerHandle: number;
  exportStallMs: number;
  exportMinBytesPerS: number;
  webhookConcurrencyPerHandle: number;
  webhookConcurrencyPerEndpoint: number;
  webhookMaxPerHandle: number;
  webhookRetryTail: string;
}

export class ConfigError extends Error {}

const camel = (name: string) => name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function coerce(name: string, spec: EnvVar, raw: string): unknown {
  if (spec.type === 'integer' || spec.type === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) throw new ConfigError(`${name} must be a number, got "${raw}"`);
    return Number(raw);
  }
  if (spec.type === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  }
  return raw;
}

/**
 * A short operator secret can be guessed offline (ctx HMAC keys) or online (admin token): refuse one
 * line naming the variable and the length, never the value.
 */
function checkSecretLengths(values: Record<string, unknown>): void {
  for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar][]) {
    const min = spec.minSecretLength;
    if (!min || !values[name]) continue;
    const items = name === 'CTX_SECRETS' ? list(String(values[name])) : [String(values[name])];
    items.forEach((item, i) => {
      if (item.length >= min) return;
      const which = items.length > 1 ? ` (key ${i + 1} of ${items.length})` : '';
      throw new ConfigError(`${name}${which} must be at least ${min} characters, got ${item.length}; generate one with: openssl rand -base64 32`);
    });
  }
}

/**
 * The environment's JSON schema, compiled on first use and kept: compiling it at every loadConfig() cost ~10 ms of each
 * test server's start (4 s of the suite's CPU).
 */
let compiled: ValidateFunction<unknown> | undefined;
function envValidator(): ValidateFunction<unknown> {
  if (compiled) return compiled;
  const properties = Object.fromEntries(
    (Object.entries(envSchema) as [string, EnvVar][]).map(([name, s]) => [
      name,
      { type: s.type, ...(s.enum && { enum: s.enum }), ...(s.pattern && { pattern: s.pattern }),
        ...(s.minimum !== undefined && { minimum: s.minimum }), ...(s.maximum !== undefined && { maximum: s.maximum }) },
    ]),
  );
  compiled = new Ajv({ allErrors: false }).compile({ type: 'object', properties });
  return compiled;
}

/** Reads, coerces and validates the environment; a bad value throws one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar][]) {
    const raw = env[name];
    values[name] = raw === undefined || raw === '' ? spec.default : coerce(name, spec, raw);
  }
  const validate = envValidator();
  if (!validate(values)) {
    const err = validate.errors![0];
    const name = err.instancePath.slice(1);
    const allowed = (err.params as { allowedValues?: string[] }).allowedValues;
    const message = allowed ? `must be one of ${allowed.join(', ')}` : err.message;
    throw new ConfigError(`${name} ${message} (got ${JSON.stringify(values[name])})`);
  }
  checkSecretLengths(values);
  try {
    // Here, not at the first click: a configuration error (exit 2, once) even when `tenx serve` forks workers.
    parseTrustedProxies(String(values.TRUSTED_PROXIES));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.DATABASE_READ_URL && !values.DATABASE_URL) {
    throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL: the embedded database has no replica to read from');
  }
  const c = Object.fromEntries(Object.entries(values).map(([k, v]) => [camel(k), v])) as Record<string, unknown>;
  return {
    ...(c as unknown as Config),
    ctxSecrets: list(String(values.CTX_SECRETS)),
    plugins: list(String(values.PLUGINS)),
    webhookAllowedPorts: list(String(values.WEBHOOK_ALLOWED_PORTS)).map(Number),
    publicUrl: String(values.PUBLIC_URL).replace(/\/$/, ''),
  };
}
