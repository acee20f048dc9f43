import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const REDOCLY = join(ROOT, 'node_modules/.bin/redocly');

interface Problem { ruleId: string; severity: 'error' | 'warn'; message: string; location: { pointer?: string }[] }

/** Issue 16: the live document passes `@redocly/cli lint` (redocly.yaml) with no error and no warning. */
describe('OpenAPI document: redocly lint', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ redis: false });
  });
  after(async () => server?.close());

  it('has 0 errors and 0 warnings', async () => {
    const spec = (await server.http.get('/v2/openapi.json').expect(200)).body;
    // At the path .redocly.lint-ignore.yaml names (test/artifacts/ is git-ignored).
    mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
    const file = join(ROOT, 'test/artifacts/openapi.json');
    writeFileSync(file, JSON.stringify(spec, null, 2));
    // redocly exits 1 on errors; its JSON report on stdout is what we judge either way.
    const out = await run(REDOCLY, ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], {
      cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
    let problems: Problem[];
    try {
      problems = (JSON.parse(out.stdout) as { problems: Problem[] }).problems;
    } catch {
      throw new Error(`redocly gave no JSON report:\n${out.stdout}\n${out.stderr}`);
    }
    const lines = problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`);
    const count = (s: string) => problems.filter((p) => p.severity === s).length;
    expect(lines, `redocly: ${count('error')} errors, ${count('warn')} warnings`).to.deep.equal([]);
  });
});
