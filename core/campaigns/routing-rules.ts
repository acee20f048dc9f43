// The JSON schema of a campaign's routing rules: campaigns validate them on write; the redirect
// (core/redirect/routing.ts) compiles and matches what this schema let through.
import { countryCode } from '../http/countries.ts';
import type { Device, JsonSchema } from '../plugins/index.ts';

export const MAX_RULES = 50;
const DEVICES: readonly Device[] = ['desktop', 'mobile', 'tablet', 'bot', 'other'];

/** JSON schemas of the built-in condition kinds: the value each takes inside `conditions`. */
export const builtinConditionSchemas: Record<string, JsonSchema> = {
  sourceIn: {
    type: 'array',
    minItems: 1,
    maxItems: 50,
    // A source is an analytics key ([a-z0-9._-], compared lower-cased): any other value could never match.
    items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' },
  },
  countryIn: { type: 'array', minItems: 1, maxItems: 300, items: countryCode },
  deviceIn: { type: 'array', minItems: 1, maxItems: DEVICES.length, items: { type: 'string', enum: [...DEVICES] } },
  languageIn: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', pattern: '^[a-z]{2,3}$' } },
};

/** JSON schema of a campaign's `routingRules`, with the goal type's extra condition kinds allowed. */
export function routingRulesSchema(extraConditionSchemas: Record<string, JsonSchema> = {}): JsonSchema {
  for (const kind of Object.keys(extraConditionSchemas)) {
    if (kind in builtinConditionSchemas) throw new Error(`condition kind "${kind}" is built in and cannot be redefined by a plugin`);
  }
  return {
    type: 'array',
    maxItems: MAX_RULES,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['priority', 'destinationUrl', 'conditions'],
      properties: {
        // API.md: any int (a negative one goes before every other); bounded so a rule's number stays a number.
        priority: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 },
        // As primaryLink.destinationUrl (schemas.ts): the caller parses it as a browser does and checks it is http(s).
        destinationUrl: { type: 'string', minLength: 1, maxLength: 2048 },
        conditions: {
          type: 'object',
          additionalProperties: false,
          properties: { ...builtinConditionSchemas, ...extraConditionSchemas },
        },
      },
    },
  };
}
