import { expect } from 'chai';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = resolve(import.meta.dirname, '../..');

// The project's own eslint.config.js, on code as if it were a file in core/campaigns/.
async function boundaryMessages(code: string, file = 'core/campaigns/fixture.ts'): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'tenx/module-boundaries').map((m) => m.message);
}

describe('lint: no import of another core module’s internals (tenx/module-boundaries)', function () {
  this.timeout(60_000);

  it('flags a value and a type import of another module’s internal file, naming the door to use', async () => {
    const messages = await boundaryMessages(
      "import { recordConversion } from '../conversions/service.ts';\nimport type { AuditService } from '../audit/service.ts';\nexport { recordConversion };\nexport type { AuditService };\n",
    );
    expect(messages).to.have.length(2);
    expect(messages[0]).to.equal(
      "core/campaigns imports core/conversions/service.ts, an internal file of another module: import it from core/conversions/index.ts, the module's public face.",
    );
    expect(messages[1]).to.include('imports types from core/audit/service.ts');
  });

  it('fails the lint (an error, not a warning): core/ has no such import left', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const [result] = await eslint.lintText("import { csvRow } from '../analytics/csv.ts';\nexport { csvRow };\n", {
      filePath: resolve(ROOT, 'core/payouts/fixture.ts'),
    });
    const boundary = result.messages.filter((m) => m.ruleId === 'tenx/module-boundaries');
    expect(boundary.map((m) => m.severity)).to.deep.equal([2]);
  });

  it('flags re-exports and dynamic imports of internals too', async () => {
    const messages = await boundaryMessages(
      "export * from '../redirect/link-cache.ts';\nexport const load = () => import('../tenants/service.ts');\n",
    );
    expect(messages).to.have.length(2);
  });

  it('allows another module’s index.ts, the shared kernel layers, the module’s own files and files outside core/', async () => {
    expect(
      await boundaryMessages(
        [
          "import * as conversions from '../conversions/index.ts';",
          "import { HttpError } from '../http/errors.ts';",
          "import * as db from '../db/pool.ts';",
          "import * as infra from '../infra/bus.ts';",
          "import * as own from './schemas.ts';",
          "import * as root from '../kernel.ts';",
          'export { conversions, HttpError, db, infra, own, root };',
        ].join('\n'),
      ),
    ).to.deep.equal([]);
    expect(
      await boundaryMessages("import * as s from '../../core/conversions/service.ts';\nexport { s };\n", 'scripts/cli/fixture.ts'),
    ).to.deep.equal([]);
  });
});
