import { Ajv, type ValidateFunction } from 'ajv';
import type { PluginManifest } from './sdk.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
// Settings are checked as the plugin host checks them (core/plugins/host.ts): schema defaults fill what is left out.
const settingsAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
// Condition schemas are compiled for their shape only here (formats are core/http's, where campaigns use them).
const shapeAjv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/**
 * The routing-condition kinds every campaign has (core/campaigns/routing-rules.ts builtinConditionSchemas):
 * a goal type's own kind of the same name would make each campaign of it a 500.
 */
export const BUILTIN_CONDITION_KINDS = ['sourceIn', 'countryIn', 'deviceIn', 'languageIn'];

/** Hooks a kind may leave out; present, each must be a function (a string `segment` would fail on every click). */
const OPTIONAL_HOOKS: Record<string, string[]> = {
  'goal-type': ['validateCampaign', 'close'],
  'tracking-preset': ['segment', 'close'],
  'bot-detector': ['close'],
  'notification-channel': ['close'],
};

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

// Each kind's schema compiled once: compiling it again for every plugin every server loaded was 2 s of the suite's CPU.
const kindValidators = new Map<string, ValidateFunction<unknown>>();
function kindValidator(kind: string): ValidateFunction<unknown> {
  let v = kindValidators.get(kind);
  if (!v) kindValidators.set(kind, (v = ajv.compile({ type: 'object', required: byKind[kind].required, properties: byKind[kind].properties })));
  return v;
}

/** Returns human-readable problems with a manifest; empty when it can be registered. */
export function manifestProblems(manifest: unknown): string[] {
  if (!manifest || typeof manifest !== 'object') return ['the default export is not a plugin manifest object'];
  if (!validateBase(manifest)) return validateBase.errors!.map((e) => `${e.instancePath || 'manifest'} ${e.message}`);
  const m = manifest as PluginManifest & Record<string, unknown>;
  const spec = byKind[m.kind];
  const validateKind = kindValidator(m.kind);
  const problems = validateKind(m as unknown) ? [] : validateKind.errors!.map((e) => `${e.instancePath || m.kind} ${e.message}`);
  for (const hook of spec.hooks) if (typeof m[hook] !== 'function') problems.push(`${m.kind} must export ${/^[aeiou]/.test(hook) ? 'an' : 'a'} ${hook}() function`);
  for (const hook of OPTIONAL_HOOKS[m.kind]) {
    if (m[hook] !== undefined && typeof m[hook] !== 'function') problems.push(`${hook} must be a function when present`);
  }
  if (m.kind === 'goal-type') {
    if (!m.eventTypes.includes(m.conversionEvent)) problems.push('conversionEvent must be one of eventTypes');
    for (const [kind, cond] of Object.entries(m.conditions ?? {})) problems.push(...conditionProblems(kind, cond));
  }
  // A webhook names its channel by this pattern (POST .../webhooks "channel"): a channel called `Acme.Chat`
  // would load, show as enabled, and never be subscribable.
  if (m.kind === 'notification-channel' && !CHANNEL_NAME.test(m.name)) {
    problems.push(`notification-channel name must match ${CHANNEL_NAME.source} (lower case, digits, _ and -: what a webhook's "channel" names)`);
  }
  if (m.settingsSchema) {
    try {
      // What a handle starts with (defaultSettings, or {} without them) must be what a PUT could store: else no
      // handle could even disable the plugin. A copy: the defaults the schema fills in must not change the manifest.
      const validate = settingsAjv.compile(m.settingsSchema);
      if (!validate(structuredClone(m.defaultSettings ?? {}))) {
        problems.push(`defaultSettings do not match settingsSchema: ${validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`).join(', ')}`);
      }
    } catch (err) {
      problems.push(`settingsSchema does not compile: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** A condition kind's schema becomes part of the campaigns' routing-rule schema: check it at load, not at the first campaign (a 500). */
function conditionProblems(kind: string, cond: { schema?: unknown; matches?: unknown } | undefined): string[] {
  if (typeof cond?.matches !== 'function' || typeof cond?.schema !== 'object' || cond.schema === null) return [`condition ${kind} needs schema and matches()`];
  if (BUILTIN_CONDITION_KINDS.includes(kind)) return [`condition ${kind} is built in and cannot be redefined (built in: ${BUILTIN_CONDITION_KINDS.join(', ')})`];
  try {
    shapeAjv.compile(cond.schema);
    return [];
  } catch (err) {
    return [`condition ${kind}: schema does not compile: ${(err as Error).message}`];
  }
}
