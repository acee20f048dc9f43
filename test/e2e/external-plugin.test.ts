import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort, spawnServer } from '../support/net.ts';

const BIN = resolve('scripts/tenx.js');
const ADMIN = 'external-plugin-admin-token-0123456789abcdef';

// docs/plugins.md §1: a plugin kept outside the checkout imports only types and exports a plain
// object. Outside a "type": "module" package Node treats such a file as CommonJS, which the
// package's bin (scripts/tenx.js, what `npx tenx serve` runs) must still load.
const TS_PLUGIN = `import type { GoalTypePlugin } from 'tenx/plugin';
export default {
  name: 'PARTNER_SIGNUP', version: '1.0.0', kind: 'goal-type', description: 'A partner referral that ends in a signup.',
  trackingPreset: 'custom_webhook', conversionEvent: 'signup', eventTypes: ['signup'],
} satisfies Partial<GoalTypePlugin>;
`;
const JS_PLUGIN = `export default {
  name: 'NEWSLETTER', version: '0.1.0', kind: 'goal-type', description: 'A newsletter subscription.',
  trackingPreset: 'custom_webhook', conversionEvent: 'subscribe', eventTypes: ['subscribe'],
};
`;

describe('the tenx bin loads plugins kept outside the checkout (docs/plugins.md)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'tenx-external-plugins-'));
  let db: TestDatabase;
  let child: ChildProcess | null = null;

  before(async () => {
    db = await createTestDatabase();
    writeFileSync(join(dir, 'partner-signup.ts'), TS_PLUGIN);
    writeFileSync(join(dir, 'newsletter.js'), JS_PLUGIN);
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((ok) => child!.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with a .ts and a .js plugin from a plain folder and offers both goal types', async () => {
    const port = await freePort();
    const env = {
      ...process.env, DATABASE_URL: db.url, REDIS_URL: '', ADMIN_TOKEN: ADMIN, PORT: String(port), LOG_LEVEL: 'warn',
      DATA_DIR: join(dir, 'data'), PLUGINS: `${join(dir, 'partner-signup.ts')},${join(dir, 'newsletter.js')}`,
    };
    // The bin directly, from another working directory, as an installed package would run.
    const server = await spawnServer([BIN, 'serve'], { env, port, cwd: dir });
    child = server.child;
    const base = server.url;
    const created = await fetch(`${base}/v2/handles`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'ext-plugins', name: 'Ext' }),
    });
    expect(created.status).to.equal(201);
    const { ownerToken } = await created.json();
    const plugins = await (await fetch(`${base}/v2/handles/ext-plugins/plugins`, { headers: { authorization: `Bearer ${ownerToken}` } })).json();
    expect(plugins.goalTypes.map((p: { name: string }) => p.name)).to.include.members(['PARTNER_SIGNUP', 'NEWSLETTER']);
  });
});
