import { Ajv } from 'ajv';
import type { PluginManifest } from './sdk.ts';

const ajv = new Ajv({ allErrors: true, strict: false });

const base = {
  name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
  version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?$' },
  description: { type: 'string' },
  settingsSchema: { type: 'object' },
  defaultSettings: { type: 'object' },
  enabledByDefault: { type: 'boolean' },
};

const byKind: Record<string, { properties: object; required: string[]; hooks: string[] }> = {
  'goal-type': {
    properties: {
      trackingPreset: { type: 'string', minLength: 1 },
      conversionEvent: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{0,63}$' },
      eventTypes: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{0,63}$' } },
      conditions: { type: 'object' },
    },
    required: ['trackingPreset', 'conversionEvent', 'eventTypes'],
    hooks: [],
  },
  'tracking-preset': {
    properties: { ctxParam: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,31}$' }, emits: { type: 'array', items: { type: 'string' } } },
    required: ['emits'],
    hooks: [],
  },
  'bot-detector': { properties: {}, required: [], hooks: ['inspect'] },
  'notification-channel': { properties: {}, required: [], hooks: ['deliver'] },
};

const validateBase = ajv.compile({
  type: 'object',
  required: ['name', 'version', 'kind'],
  properties: { ...base, kind: { enum: Object.keys(byKind) } },
});

/** The `channel` of POST /v2/handles/{handle}/webhooks (core/notifications/schemas.ts). */
export const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Returns human-readable problems with a manifest; empty when it can be registered. */
export function manifestProblems(manifest: unknown): string[] {
  if (!manifest || typeof manifest !== 'object') return ['the default export is not a plugin manifest object'];
  if (!validateBase(manifest)) return validateBase.errors!.map((e) => `${e.instancePath || 'manifest'} ${e.message}`);
  const m = manifest as PluginManifest & Record<string, unknown>;
  const spec = byKind[m.kind];
  const validateKind = ajv.compile({ type: 'object', required: spec.required, properties: spec.properties });
  const problems = validateKind(m) ? [] : validateKind.errors!.map((e) => `${e.instancePath || m.kind} ${e.message}`);
  for (const hook of spec.hooks) if (typeof m[hook] !== 'function') problems.push(`${m.kind} must export a ${hook}() function`);
  if (m.kind === 'goal-type') {
    if (!m.eventTypes.includes(m.conversionEvent)) problems.push('conversionEvent must be one of eventTypes');
    for (const [kind, cond] of Object.entries(m.conditions ?? {})) {
      if (typeof cond?.matches !== 'function' || typeof cond?.schema !== 'object') problems.push(`condition ${kind} needs schema and matches()`);
    }
  }
  // A webhook names its channel by this pattern (POST .../webhooks "channel"): a channel called `Acme.Chat`
  // would load, show as enabled, and never be subscribable.
  if (m.kind === 'notification-channel' && !CHANNEL_NAME.test(m.name)) {
    problems.push(`notification-channel name must match ${CHANNEL_NAME.source} (lower case, digits, _ and -: what a webhook's "channel" names)`);
  }
  if (m.settingsSchema) {
    try {
      ajv.compile(m.settingsSchema);
    } catch (err) {
      problems.push(`settingsSchema does not compile: ${(err as Error).message}`);
    }
  }
  return problems;
}
