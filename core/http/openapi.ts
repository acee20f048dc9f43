import type { RouteDef, RouteResponse } from './route.ts';
import { ERROR_REF, SchemaRegistry } from './openapi-components.ts';
import { impliedResponses, operationIdOf, parameters } from './openapi-operation.ts';

type JsonSchema = NonNullable<RouteDef['body']>;

const RETRY_AFTER = { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } };

function response(status: number, r: RouteResponse, names: SchemaRegistry) {
  const type = r.contentType ?? 'application/json';
  const json = type === 'application/json';
  // Error answers have the contract's body; a route may name a richer one (e.g. /readyz's checks).
  const named = typeof (r.schema as { title?: unknown } | undefined)?.title === 'string';
  // A declared non-JSON body (HTML, CSV, Prometheus text) is a string when the route gives no schema.
  const schema = status >= 400 && json && !named ? ERROR_REF : r.schema ? names.name(r.schema) : r.contentType && { type: 'string' };
  const headers: Record<string, object> = {};
  if (status === 429 || status === 503) headers['Retry-After'] = RETRY_AFTER;
  for (const [name, h] of Object.entries(r.headers ?? {})) headers[name] = { description: h.description, schema: h.schema ?? { type: 'string' } };
  const content: Record<string, { schema: object }> = schema ? { [type]: { schema } } : {};
  for (const [media, alt] of Object.entries(r.alternatives ?? {})) content[media] = { schema: names.name(alt) };
  return {
    description: r.description,
    ...(Object.keys(headers).length && { headers }),
    ...(Object.keys(content).length && { content }),
  };
}

const x = (def: RouteDef) => {
  if (def.auth === 'public') return {};
  if (def.auth === 'admin') return { 'x-scope': 'admin' };
  if (def.auth === 'token') return { 'x-scope': 'any token of the handle' };
  return { 'x-scope': Object.values(def.auth).join(', ') };
};

/** The body schema as a client may send it: the fields a route takes null for (RouteDef.nullMeansAbsent) say so. */
function withNulls(body: JsonSchema, names: readonly string[] = []): JsonSchema {
  if (!names.length) return body;
  const properties: Record<string, { type?: string | string[]; anyOf?: unknown[] }> = { ...(body as { properties?: Record<string, { type?: string | string[] }> }).properties };
  for (const name of names) {
    const prop = properties[name] ?? {};
    properties[name] = prop.type !== undefined ? { ...prop, type: [...new Set([prop.type, 'null'].flat())] } : { anyOf: [prop, { type: 'null' }] };
  }
  return { ...body, properties } as JsonSchema;
}

function operation(def: RouteDef, names: SchemaRegistry) {
  const declared = { ...impliedResponses(def), ...def.responses } as Record<number, RouteResponse>;
  if (!Object.keys(declared).some((s) => Number(s) < 400)) declared[200] = { description: 'OK' };
  const responses: Record<string, object> = {};
  for (const status of Object.keys(declared).map(Number).sort((a, b) => a - b)) responses[status] = response(status, declared[status], names);
  return {
    operationId: operationIdOf(def),
    summary: def.summary,
    ...(def.tags && { tags: def.tags }),
    parameters: names.name(parameters(def)),
    ...(def.body && { requestBody: { required: true, content: { 'application/json': { schema: names.name(withNulls(def.body, def.nullMeansAbsent)) } } } }),
    // `{}`: no token is also accepted.
    security: def.auth !== 'public' ? [{ bearer: [] }] : def.bearerOptional ? [{}, { bearer: [] }] : [],
    ...x(def),
    responses,
  };
}

/** A GET's operation as its HEAD: the same parameters and statuses, its own summary and id, no bodies. */
function headOperation(get: ReturnType<typeof operation>, summary: string) {
  const responses = Object.fromEntries(Object.entries(get.responses).map(([status, r]) => {
    const { content: _content, ...rest } = r as { content?: unknown };
    return [status, rest];
  }));
  return { ...get, operationId: `${get.operationId}Head`, summary, responses };
}

/** One event type a webhook receives: `data` is a schema, or a component schema extended by `x-extends`. */
export interface WebhookEventDoc {
  summary: string;
  /** Who receives it and how deliveries are retried (the notifications module knows both). */
  description: string;
  data: object;
}

const SIGNATURE_HEADERS = [
  { name: 'webhook-id', description: 'The delivery id: the same on every retry (dedupe on it); also the payload `id`.' },
  { name: 'webhook-timestamp', description: 'Unix seconds of this attempt.' },
  {
    name: 'webhook-signature',
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` keyed by the base64-decoded secret after `whsec_`; ' +
      'two entries while a rotated secret overlaps. Any Standard Webhooks library verifies it.',
  },
].map((h) => ({ name: h.name, in: 'header', required: true, description: h.description, schema: { type: 'string' } }));

/** An event's `data`: `x-extends` names a (closed) component schema whose fields the event's are added to. */
function eventData(type: string, data: object, schemas: Record<string, object>): object {
  const refs = JSON.stringify(data).match(/#\/components\/schemas\/[^"]+/g) ?? [];
  for (const r of refs) if (!schemas[r.slice('#/components/schemas/'.length)]) throw new Error(`OpenAPI: the ${type} event refers to the unknown schema ${r}`);
  const { 'x-extends': base, properties, required, ...rest } = data as { 'x-extends'?: string; properties?: object; required?: string[] };
  if (base === undefined) return data;
  const component = schemas[base] as { title?: string; properties?: object; required?: string[] } | undefined;
  if (!component) throw new Error(`OpenAPI: the ${type} event extends the unknown schema ${base}`);
  const { title: _title, ...schema } = component;
  return { ...schema, ...rest, properties: { ...schema.properties, ...properties }, required: [...(schema.required ?? []), ...(required ?? [])] };
}

/** OpenAPI 3.1 `webhooks`: what a subscribed endpoint (and a POST partner postback) receives, per event type. */
function webhooksSection(events: Record<string, WebhookEventDoc>, schemas: Record<string, object>) {
  const webhooks: Record<string, object> = {};
  for (const [type, doc] of Object.entries(events)) {
    webhooks[type] = {
      post: {
        operationId: `event_${type.replace(/\W/g, '_')}`,
        summary: doc.summary,
        description: doc.description,
        tags: ['events'],
        security: [],
        parameters: SIGNATURE_HEADERS,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['id', 'type', 'createdAt', 'handle', 'data'],
                properties: {
                  id: { type: 'string', description: 'The delivery id (webhook-id).' },
                  type: { const: type },
                  createdAt: { type: 'string', format: 'date-time' },
                  handle: { type: 'string' },
                  data: eventData(type, doc.data, schemas),
                },
              },
            },
          },
        },
        responses: {
          '2XX': { description: 'Received: the delivery succeeded' },
          '4XX': { description: 'Refused: the delivery is retried, as for any answer that is not 2xx (5xx, timeout, connection refused)' },
        },
      },
    };
  }
  return webhooks;
}

/** OpenAPI 3.1 generated from the same route table and JSON schemas that validate requests. */
export function buildOpenApi(routes: RouteDef[], serverUrl: string, events: Record<string, WebhookEventDoc> = {}) {
  const names = new SchemaRegistry();
  const paths: Record<string, Record<string, object>> = {};
  const ids = new Map<string, string>();
  for (const def of routes) {
    const id = operationIdOf(def);
    const other = ids.get(id);
    if (other) throw new Error(`OpenAPI: ${def.method} ${def.path} and ${other} share the operationId ${id}`);
    ids.set(id, `${def.method} ${def.path}`);
    paths[def.path] ??= {};
    const op = operation(def, names);
    paths[def.path][def.method.toLowerCase()] = op;
    if (def.head) paths[def.path].head = headOperation(op, def.head);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tenx API',
      version: '2.0.0',
      description: 'Partner tracking: campaigns, short links, conversions, analytics, webhooks.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Admin token, a personal access token (tenx_pat_...), or on the partner realm a partner token (tenx_ptk_...)' } },
      schemas: names.schemas,
    },
    paths,
    ...(Object.keys(events).length && { webhooks: webhooksSection(events, names.schemas) }),
  };
}

export const docsPage = (specUrl: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tenx API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/dashboard/img/logo.svg" type="image/svg+xml">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d2433}
h2{margin-top:2rem;border-bottom:1px solid #dde}code{background:#f2f4f8;padding:1px 4px;border-radius:3px}
.op{margin:.6rem 0;padding:.5rem .8rem;border:1px solid #e3e6ee;border-radius:6px}.m{font-weight:700;display:inline-block;width:4.5rem}
.scope{color:#667;font-size:13px;float:right}pre{background:#f7f8fb;padding:.6rem;overflow:auto;font-size:12px}</style></head>
<body><h1>tenx API</h1><p>Generated from <a href="${specUrl}"><code>${specUrl}</code></a> (OpenAPI 3.1).</p><div id="ops">Loading…</div>
<script type="module">
const spec = await (await fetch(${JSON.stringify(specUrl)})).json();
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
let html = '';
for (const [path, ops] of Object.entries(spec.paths)) for (const [m, op] of Object.entries(ops)) {
  html += '<div class="op"><span class="m">' + m.toUpperCase() + '</span><code>' + esc(path) + '</code>'
    + '<span class="scope">' + esc(op['x-scope'] ?? 'public') + '</span><div>' + esc(op.summary) + '</div>'
    + (op.requestBody ? '<details><summary>body</summary><pre>' + esc(JSON.stringify(op.requestBody.content['application/json'].schema, null, 2)) + '</pre></details>' : '')
    + '</div>';
}
document.getElementById('ops').innerHTML = html;
</script></body></html>`;
