import type { RouteDef, RouteResponse } from './route.ts';

type JsonSchema = NonNullable<RouteDef['body']>;

/**
 * What the OpenAPI document can say about a route from the route table alone, so that every route
 * (including ones added later) gets an operationId, all its path parameters and the error statuses
 * its auth, path and schemas make possible, without each module repeating them.
 */

const upper = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * `GET /v2/handles/{handle}/campaigns/{campaignId}` → `getHandlesByHandleCampaignsByCampaignId`:
 * every segment but the version, so two routes never share one (buildOpenApi checks).
 */
export function operationIdOf(def: Pick<RouteDef, 'method' | 'path' | 'operationId'>): string {
  if (def.operationId) return def.operationId;
  const words: string[] = [];
  for (const segment of def.path.split('/')) {
    if (segment === '' || segment === 'v2') continue;
    const param = /^\{(\w+)\}$/.exec(segment);
    const parts = param ? ['by', param[1]] : segment.split(/[^A-Za-z0-9]+/);
    for (const part of parts) if (part) words.push(upper(part));
  }
  return def.method.toLowerCase() + words.join('');
}

export const pathParameterNames = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

/** Path parameters (every `{name}` of the path, typed by `params` when the route has them), then query parameters. */
export function parameters(def: RouteDef): object[] {
  const out: object[] = [];
  const params = (def.params?.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of pathParameterNames(def.path)) {
    out.push({ name, in: 'path', required: true, schema: params[name] ?? { type: 'string' } });
  }
  for (const query of [def.query, def.documentedQuery]) {
    const required = new Set((query?.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query?.properties ?? {}) as Record<string, JsonSchema>)) {
      out.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  return out;
}

// Methods whose body is read (core/http/body.ts): a DELETE's too, which must be none or {}.
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A scope kind this file does not know yet (e.g. a realm's `{ partner: scope }`): name what it needs. */
const needs = (auth: object) => Object.values(auth).map(String).join(', ');

function forbiddenDescription(def: RouteDef): string {
  const { auth } = def;
  if (auth === 'admin') return 'forbidden: a valid token that is not the operator admin token';
  if (auth === 'token') return 'forbidden: a valid token that may not call this route';
  if (typeof auth === 'object' && 'scope' in auth) return `insufficient_scope: the token lacks ${auth.scope}; or forbidden: a token that may not call this route`;
  return `insufficient_scope or forbidden: this route needs a token with ${needs(auth as unknown as object)}`;
}

/** The statuses that follow from the route's shape, each with its description. */
export function impliedResponses(def: RouteDef): Record<number, RouteResponse> {
  const out: Record<number, RouteResponse> = {};
  const writes = WRITES.has(def.method);
  const authenticated = def.auth !== 'public';
  // A write parses its body (malformed JSON is a 400 even where no schema is declared).
  // A path id no resource can have is a 404 like an unknown one, except where a PUT creates what the path names.
  const pathChecked = def.method === 'PUT' ? 'the path, query or body' : 'the query or body';
  if (def.params || def.query || def.body || writes) out[400] = { description: `invalid_request: ${pathChecked} failed validation (details name each field)` };
  if (authenticated) {
    out[401] = { description: 'unauthorized: no bearer token, or one that is unknown, expired or revoked' };
    out[403] = { description: forbiddenDescription(def) };
    if (pathParameterNames(def.path).length) {
      out[404] = { description: 'not_found: no such resource (an id none can have included; details name it), or a handle the token does not belong to (never revealed)' };
    }
  }
  if (writes) {
    out[413] = { description: 'payload_too_large: the body is over 64 KiB' };
    out[415] = { description: 'unsupported_media_type: the body is not application/json, or is sent with a Content-Encoding' };
  }
  // Authenticating reads the database: when it is unreachable the answer is a 503 with retry-after.
  if (authenticated) out[503] = { description: 'unavailable: the database (or a dependency) is unreachable right now; retry after retry-after' };
  return out;
}
