import type { RouteDef } from './route.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

function parameters(def: RouteDef) {
  const out: object[] = [];
  const params = (def.params?.properties ?? {}) as Record<string, object>;
  for (const [name, schema] of Object.entries(params)) out.push({ name, in: 'path', required: true, schema });
  const query = (def.query?.properties ?? {}) as Record<string, object>;
  const required = new Set((def.query?.required as string[]) ?? []);
  for (const [name, schema] of Object.entries(query)) out.push({ name, in: 'query', required: required.has(name), schema });
  return out;
}

/** OpenAPI 3.1 generated from the same route table and JSON schemas that validate requests. */
export function buildOpenApi(routes: RouteDef[], serverUrl: string) {
  const paths: Record<string, Record<string, object>> = {};
  for (const def of routes) {
    const responses: Record<string, object> = {};
    for (const [status, r] of Object.entries(def.responses ?? { 200: { description: 'OK' } })) {
      responses[status] = {
        description: r.description,
        ...(r.schema && { content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }),
      };
    }
    responses.default = { description: 'Error in the contract shape', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    paths[def.path] ??= {};
    paths[def.path][def.method.toLowerCase()] = {
      summary: def.summary,
      tags: def.tags,
      parameters: parameters(def),
      ...(def.body && { requestBody: { required: true, content: { 'application/json': { schema: def.body } } } }),
      security: def.auth === 'public' ? [] : [{ bearer: [] }],
      ...(typeof def.auth === 'object' && ('scope' in def.auth ? { 'x-scope': def.auth.scope } : { 'x-scope': def.auth.partner, 'x-realm': 'partner' })),
      ...(def.auth === 'admin' && { 'x-scope': 'admin' }),
      ...(def.auth === 'token' && { 'x-scope': 'any token of the handle' }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'tenx API', version: '2.0.0', description: 'Partner tracking: campaigns, short links, conversions, analytics, webhooks.' },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Admin token, a personal access token (tenx_pat_...), or on the partner realm a partner token (tenx_ptk_...)' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

export const docsPage = (specUrl: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tenx API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
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
