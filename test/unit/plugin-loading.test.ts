import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../../core/kernel.ts';
import { createBus } from '../../core/infra/bus.ts';
import { createCounters } from '../../core/infra/counters.ts';
import { createLogger } from '../../core/infra/logger.ts';
import { PluginHost } from '../../core/plugins/host.ts';
import { loadAllPlugins, loadPlugin, PluginLoadError } from '../../core/plugins/loader.ts';
import { readTenantFiles, type TenantFile } from '../../core/plugins/tenant-files.ts';
import { noPosting } from '../support/plugin-api.ts';

const BROKEN = './test/fixtures/plugins/broken/index.ts';
const THROWS = './test/fixtures/plugins/throws-on-load/index.ts';
const APP_INSTALL = './plugins/examples/app-install/index.ts';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('loading plugins (PLUGINS=, by path or package name)', () => {
  it('loads the example goal type by path, as an integrator would', async () => {
    const m = await loadPlugin(APP_INSTALL, ROOT);
    expect(m).to.include({ name: 'APP_INSTALL', kind: 'goal-type', conversionEvent: 'install' });
  });

  it('refuses a plugin missing the hook its kind requires, naming the plugin and the hook', async () => {
    const err = await rejection(loadPlugin(BROKEN, ROOT));
    expect(err).to.be.instanceOf(PluginLoadError);
    expect(err.message).to.include('"broken-detector"').and.include(BROKEN).and.include('inspect()');
  });

  it('refuses the whole set, so the kernel does not start half-configured', async () => {
    const err = await rejection(loadAllPlugins(ROOT, [APP_INSTALL, BROKEN]));
    expect(err.message).to.include('broken-detector');
  });

  it('reports a plugin that throws while loading by its path, with the cause', async () => {
    const err = await rejection(loadPlugin(THROWS, ROOT));
    expect(err).to.be.instanceOf(PluginLoadError);
    expect(err.message).to.include(THROWS).and.include('licence file');
  });

  it('reports a path or package that does not exist', async () => {
    expect((await rejection(loadPlugin('./plugins/nope/index.ts', ROOT))).message).to.include('./plugins/nope/index.ts');
    expect((await rejection(loadPlugin('@acme/tenx-plugin-that-is-not-installed', ROOT))).message).to.include('@acme/tenx-plugin-that-is-not-installed');
  });

  it('refuses the same plugin name twice', async () => {
    const err = await rejection(loadAllPlugins(ROOT, [APP_INSTALL, APP_INSTALL]));
    expect(err.message).to.include('"APP_INSTALL" is registered twice');
  });
});

describe('tenants/<handle>.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tenx-tenants-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  async function hostWith(files: Map<string, TenantFile>) {
    const log = createLogger('silent');
    const manifests = await loadAllPlugins(ROOT, [APP_INSTALL]);
    const bus = await createBus(null, 'unit', log);
    return new PluginHost(manifests, { orm: null as never, bus, counters: createCounters(null, 'unit'), log, tenantFiles: files, postJson: () => noPosting });
  }

  it('reads a valid file as the handle\'s starting plugin values', async () => {
    write('acme.json', JSON.stringify({ plugins: { APP_INSTALL: { enabled: true }, burst: { settings: { maxClicksPerMinute: 60 } } } }));
    write('_template.json', '{ this file is skipped }');
    const files = readTenantFiles(dir);
    expect([...files.keys()]).to.deep.equal(['acme']);
    (await hostWith(files)).checkTenantFiles();
  });

  it('refuses a file that is not JSON, naming it', () => {
    write('acme.json', '{"plugins": {');
    expect(() => readTenantFiles(dir)).to.throw(/acme\.json: not valid JSON/);
  });

  it('refuses a file that does not match the schema, naming the file and the field', () => {
    write('acme.json', JSON.stringify({ plugins: { APP_INSTALL: { enabled: 'yes' } } }));
    expect(() => readTenantFiles(dir)).to.throw(/acme\.json: \/plugins\/APP_INSTALL\/enabled must be boolean/);
    write('acme.json', JSON.stringify({ plugin: {} }));
    expect(() => readTenantFiles(dir)).to.throw(/acme\.json: .*additional properties/);
  });

  it('refuses a file naming a plugin that is not registered', async () => {
    write('acme.json', JSON.stringify({ plugins: { APP_INSTAL: { enabled: true } } }));
    const host = await hostWith(readTenantFiles(dir));
    expect(() => host.checkTenantFiles()).to.throw('tenants/acme.json names unknown plugin "APP_INSTAL"');
  });

  it("refuses settings the plugin's own schema rejects", async () => {
    write('acme.json', JSON.stringify({ plugins: { burst: { settings: { maxClicksPerMinute: 0 } } } }));
    const host = await hostWith(readTenantFiles(dir));
    expect(() => host.checkTenantFiles()).to.throw(/tenants\/acme\.json: settings of "burst" \/maxClicksPerMinute must be >= 1/);
  });
});
