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
import { BUILTIN_CONDITION_KINDS, manifestProblems } from '../../core/plugins/manifest.ts';
import { builtinConditionSchemas } from '../../core/campaigns/routing-rules.ts';
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

// Black-box pass: each of these loaded, and then failed far from its cause: defaults the schema refuses made
// every PUT of the plugin a 400 (even {"enabled": false}); a condition schema that does not compile or that
// redefines sourceIn made every campaign of the goal type a 500; a `segment` that is no function failed on
// every click; a goal type naming an unregistered preset was "not enabled for this handle". Now refused at load.
describe('plugin mistakes refused at load, naming the plugin', () => {
  const detector = { name: 'd', version: '1.0.0', kind: 'bot-detector', inspect: () => ({ bot: false }) };
  const goal = { name: 'G', version: '1.0.0', kind: 'goal-type', trackingPreset: 'custom_webhook', conversionEvent: 'x', eventTypes: ['x'] };
  const matches = () => true;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tenx-plugins-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses defaultSettings that its own settingsSchema rejects', () => {
    const settingsSchema = { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1 } } };
    expect(manifestProblems({ ...detector, settingsSchema, defaultSettings: { limit: 0 } })).to.deep.equal([
      'defaultSettings do not match settingsSchema: /limit must be >= 1',
    ]);
    expect(manifestProblems({ ...detector, settingsSchema, defaultSettings: { limit: 5 } })).to.deep.equal([]);
    // Checked as the host checks a handle's settings: a schema default fills a required setting; no
    // defaultSettings at all is {} (a review: the first was refused, the second let through).
    const required = { type: 'object', required: ['channel'], properties: { channel: { type: 'string', default: '#general' } } };
    expect(manifestProblems({ ...detector, settingsSchema: required, defaultSettings: {} })).to.deep.equal([]);
    const noDefault = { type: 'object', required: ['token'], properties: { token: { type: 'string' } } };
    expect(manifestProblems({ ...detector, settingsSchema: noDefault })).to.deep.equal(["defaultSettings do not match settingsSchema: / must have required property 'token'"]);
  });

  it('refuses a condition kind whose schema does not compile, or that redefines a built-in one', () => {
    expect(manifestProblems({ ...goal, conditions: { weird: { schema: { type: 'nope' }, matches } } })[0]).to.match(/^condition weird: schema does not compile/);
    expect(manifestProblems({ ...goal, conditions: { sourceIn: { schema: { type: 'string' }, matches } } })[0]).to.match(/^condition sourceIn is built in/);
    expect(manifestProblems({ ...goal, conditions: { platformIn: { schema: { type: 'array', items: { type: 'string', format: 'uri' } }, matches } } })).to.deep.equal([]);
    expect(BUILTIN_CONDITION_KINDS).to.deep.equal(Object.keys(builtinConditionSchemas));
  });

  it('refuses an optional hook that is not a function', () => {
    expect(manifestProblems({ name: 'p', version: '1.0.0', kind: 'tracking-preset', emits: [], segment: 'utm_campaign' })).to.deep.equal(['segment must be a function when present']);
    expect(manifestProblems({ ...goal, validateCampaign: [] })).to.deep.equal(['validateCampaign must be a function when present']);
    expect(manifestProblems({ ...detector, close: true })).to.deep.equal(['close must be a function when present']);
  });

  it('names a plugin without a name by its path, once, and its missing hook in English', async () => {
    const file = join(dir, 'nameless.ts');
    writeFileSync(file, 'export default { version: "1.0.0", kind: "bot-detector" };');
    const err = await rejection(loadAllPlugins(ROOT, [file]));
    expect(err.message).to.match(new RegExp(`^plugin ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid: `));
    expect(err.message.split(file)).to.have.length(2);
    expect(manifestProblems({ name: 'd', version: '1.0.0', kind: 'bot-detector' })).to.deep.equal(['bot-detector must export an inspect() function']);
    expect(manifestProblems({ name: 'c', version: '1.0.0', kind: 'notification-channel' })).to.deep.equal(['notification-channel must export a deliver() function']);
  });

  it('refuses a goal type whose trackingPreset is not registered', async () => {
    const file = join(dir, 'goal.ts');
    writeFileSync(file, `export default ${JSON.stringify({ ...goal, name: 'NO_PRESET', trackingPreset: 'custom-webhook' })};`);
    const err = await rejection(loadAllPlugins(ROOT, [file]));
    expect(err).to.be.instanceOf(PluginLoadError);
    expect(err.message).to.include(`plugin "NO_PRESET" (${file}) is invalid: trackingPreset "custom-webhook" is not a registered tracking preset`);
  });
});

// Black-box pass: a plugin whose close() threw at shutdown skipped the close() of every plugin after it.
describe('closing plugins at shutdown', () => {
  it("runs every plugin's close() even when one throws", async () => {
    const closed: string[] = [];
    const detector = (name: string, close: () => void) => ({ name, version: '1.0.0', kind: 'bot-detector' as const, inspect: () => ({ bot: false }), close });
    const manifests = [
      detector('first', () => {
        throw new Error('close boom');
      }),
      detector('second', () => void closed.push('second')),
    ];
    const log = createLogger('silent');
    const bus = await createBus(null, 'unit', log);
    const host = new PluginHost(manifests, { orm: null as never, bus, counters: createCounters(null, 'unit'), log, tenantFiles: new Map(), postJson: () => noPosting });
    await host.close();
    expect(closed).to.deep.equal(['second']);
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
    return new PluginHost(manifests, { orm: null as never, bus, counters: createCounters(null, 'unit'), log, tenantFiles: files, tenantsDir: dir, postJson: () => noPosting });
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
    // Named where it is (TENANTS_DIR), not as ./tenants.
    expect(() => host.checkTenantFiles()).to.throw(`${join(dir, 'acme.json')} names unknown plugin "APP_INSTAL"`);
  });

  it("refuses settings the plugin's own schema rejects", async () => {
    write('acme.json', JSON.stringify({ plugins: { burst: { settings: { maxClicksPerMinute: 0 } } } }));
    const host = await hostWith(readTenantFiles(dir));
    expect(() => host.checkTenantFiles()).to.throw(`${join(dir, 'acme.json')}: settings of "burst" /maxClicksPerMinute must be >= 1`);
  });
});
