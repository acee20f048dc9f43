import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import openapiTS, { astToString } from 'openapi-typescript';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
// Inside the repository (git- and eslint-ignored), so the script resolves openapi-fetch from node_modules.
const DIR = join(ROOT, 'test/artifacts/openapi-client');
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
/** The seed's workflow (v2), and the partner program's (v2.1): reward rule → conversion → commission → approve → payout, then the realm. */
const SCRIPTS = ['workflow.ts', 'partner-workflow.ts'];

interface Seen { method: string; schemaPath: string; status: number; contentType: string; body: unknown }
type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: object;
};

/**
 * Issue 16: a client generated from the live document (openapi-typescript + openapi-fetch) type-checks
 * against a script running the seed's workflow, runs it, and every answer it gets is declared by the
 * document (status and body, validated with ajv against the document's own schemas).
 */
describe('OpenAPI document: a generated client runs the workflow', function () {
  this.timeout(60_000);
  let server: TestServer;
  let hooks: Server;
  let doc: Doc;

  before(async () => {
    server = await startTestServer();
    hooks = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
    doc = (await server.http.get('/v2/openapi.json').expect(200)).body;
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
  });
  after(async () => {
    await server?.close();
    await new Promise((ok) => hooks?.close(ok));
  });

  it('generates types that the workflow script type-checks against', async () => {
    writeFileSync(join(DIR, 'api.ts'), astToString(await openapiTS(doc as never)));
    for (const script of SCRIPTS) copyFileSync(join(ROOT, 'test/fixtures/openapi-client', script), join(DIR, script));
    writeFileSync(join(DIR, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
        allowImportingTsExtensions: true, erasableSyntaxOnly: true, verbatimModuleSyntax: true, lib: ['ES2023', 'DOM'], types: [],
      },
      files: ['api.ts', ...SCRIPTS],
    }));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const out = await run(process.execPath, [tsc, '-p', DIR]).catch((e: { stdout: string }) => e);
    expect(out.stdout, 'tsc on the generated client and the workflow').to.equal('');
  });

  /** Every answer the scripts got is declared by the document: its status, its media type, and (JSON) its body by the declared schema. */
  function undeclared(seen: Seen[]): string[] {
    const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    const validators = new Map<string, ValidateFunction>();
    const problems: string[] = [];
    for (const r of seen) {
      const where = `${r.method.toUpperCase()} ${r.schemaPath} → ${r.status}`;
      const declared = doc.paths[r.schemaPath]?.[r.method]?.responses[r.status];
      if (!declared) {
        problems.push(`${where}: status not declared`);
        continue;
      }
      const media = Object.keys(declared.content ?? {});
      if (r.status === 302) continue; // no body; its Location was followed by the script
      const type = media.find((m) => r.contentType.startsWith(m));
      if (!type) {
        problems.push(`${where}: ${r.contentType} not declared (${media.join(', ') || 'no content'})`);
        continue;
      }
      if (type !== 'application/json') continue;
      const key = `${where} ${type}`;
      let validate = validators.get(key);
      if (!validate) {
        // The response schema at the root of a schema that carries the components its $refs point into.
        validate = ajv.compile({ ...declared.content![type].schema, components: doc.components });
        validators.set(key, validate);
      }
      if (!validate(r.body)) problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    return problems;
  }

  const runScript = async (script: string, hook: string) => {
    const { port } = hooks.address() as AddressInfo;
    const mod = (await import(pathToFileURL(join(DIR, script)).href)) as { run(url: string, admin: string, hook: string): Promise<Seen[]> };
    return mod.run(server.url, ADMIN_TOKEN, `http://127.0.0.1:${port}/${hook}`);
  };

  it('runs the workflow, and every response matches the document', async () => {
    const seen = await runScript('workflow.ts', 'hook');
    expect(undeclared(seen)).to.deep.equal([]);
    // Errors on purpose too: 401, 403, 404, 409, 400 and 422 bodies are checked against Error.
    expect(new Set(seen.map((r) => r.status))).to.include.members([200, 201, 202, 302, 400, 401, 403, 404, 409, 422]);
    expect(seen.length).to.be.greaterThan(30);
  });

  it('runs the partner program (rules, conversions, commissions, approvals, reversal, payout, realm, postbacks), and every response matches', async () => {
    const seen = await runScript('partner-workflow.ts', 'tracker');
    expect(undeclared(seen)).to.deep.equal([]);
    const operations = new Set(seen.map((r) => `${r.method.toUpperCase()} ${r.schemaPath}`));
    // Every v2.1 ledger and realm operation was exercised, with the refusals the contract names.
    const ledger = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .filter((op) => /\/(rewards|commissions|payouts|partners|partner|conversions)(\/|$)/.test(op) && !/analytics\/(stream|export)/.test(op));
    expect(ledger.filter((op) => !operations.has(op))).to.deep.equal([]);
    const codes = new Set(seen.map((r) => (r.body as { error?: { code: string } })?.error?.code).filter(Boolean));
    expect([...codes].sort()).to.deep.equal(['conflict', 'forbidden', 'invalid_request', 'invalid_transition', 'not_found', 'over_reversal', 'unauthorized', 'unknown_campaign', 'unknown_partner']);
  });

  it('names every JSON answer and closes every object in it: named components, required, additionalProperties', () => {
    // Maps whose keys are open by design, each with its reason.
    const OPEN = new Set([
      'AuditEvent.payload', // its fields depend on the event type
      'Plugin.settings', // the plugin's own settings schema
      'RoutingRule.conditions', // goal-type plugins add condition kinds
    ]);
    const schemas = doc.components as { schemas: Record<string, Record<string, unknown>> };
    const problems = new Set<string>();
    const visit = (node: unknown, where: string, seenRefs: Set<string>): void => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach((n) => visit(n, where, seenRefs));
      const s = node as Record<string, unknown>;
      if (typeof s.$ref === 'string') {
        const name = s.$ref.split('/').pop()!;
        if (!seenRefs.has(name)) visit(schemas.schemas[name], name, seenRefs.add(name));
        return;
      }
      if (s.properties || s.type === 'object') {
        if (!OPEN.has(where) && s.additionalProperties === undefined) problems.add(`${where}: additionalProperties`);
        if (s.properties && !s.required) problems.add(`${where}: required`);
      }
      for (const [k, v] of Object.entries(s)) {
        if (k === 'properties') for (const [p, ps] of Object.entries(v as object)) visit(ps, `${where}.${p}`, seenRefs);
        else if (typeof v === 'object') visit(v, k === 'items' ? where : `${where}.${k}`, seenRefs);
      }
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path === '/v2/openapi.json') continue; // the document itself (OpenAPI's own schema)
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          const json = r.content?.['application/json']?.schema as { $ref?: string; oneOf?: { $ref?: string }[] } | undefined;
          if (!json) continue;
          const named = json.$ref || json.oneOf?.every((o) => o.$ref);
          if (!named) problems.add(`${method.toUpperCase()} ${path} ${status}: not a named component`);
          visit(json, `${method.toUpperCase()} ${path} ${status}`, new Set());
        }
      }
    }
    expect([...problems].sort()).to.deep.equal([]);
  });

  it('is exact: a list answer that held a secret, or lacked a field, would not match', () => {
    const ajv = addFormats(new Ajv2020({ strict: false }));
    const schema = doc.paths['/v2/handles/{handle}/tokens'].get.responses[200].content!['application/json'].schema;
    const validate = ajv.compile({ ...schema, components: doc.components });
    const token = { tokenId: 't', name: 'n', scopes: [], expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z', revokedAt: null };
    expect(validate({ data: [token], nextCursor: null })).to.equal(true);
    expect(validate({ data: [{ ...token, token: 'tenx_pat_x' }], nextCursor: null })).to.equal(false);
    const { name: _name, ...nameless } = token;
    expect(validate({ data: [nameless], nextCursor: null })).to.equal(false);
  });
});
