import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin, PluginLoadError } from '../../core/plugins/loader.ts';

const MANIFEST = `export default {
  name: 'PKG_GOAL', version: '1.0.0', kind: 'goal-type', description: 'From a package.',
  trackingPreset: 'custom_webhook', conversionEvent: 'signup', eventTypes: ['signup'],
};
`;

// tenx runs on Node's type stripping, which Node refuses under node_modules: a plugin package must
// ship JavaScript, and one that ships .ts is told so in one sentence.
describe('plugins from a package folder (node_modules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tenx-pkg-plugin-'));
  const pkg = join(dir, 'node_modules', 'tenx-plugin-pkg');
  before(() => {
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'tenx-plugin-pkg', type: 'module' }));
    writeFileSync(
      join(pkg, 'index.ts'),
      `import type { GoalTypePlugin } from 'tenx/plugin';\n${MANIFEST.replace('};\n', '} satisfies Partial<GoalTypePlugin>;\n')}`,
    );
    writeFileSync(join(pkg, 'index.js'), MANIFEST);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a package that ships JavaScript', async () => {
    const m = await loadPlugin(join(pkg, 'index.js'), dir);
    expect(m.name).to.equal('PKG_GOAL');
  });

  it('refuses a package that ships TypeScript, saying what to do instead', async () => {
    const err = await loadPlugin(join(pkg, 'index.ts'), dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(PluginLoadError);
    expect((err as Error).message)
      .to.include('TypeScript inside node_modules')
      .and.include('publish the package as JavaScript');
  });
});
