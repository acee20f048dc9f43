import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnServer } from '../support/net.ts';

const RECORDER = fileURLToPath(new URL('../support/record-modules.ts', import.meta.url));
const ADMIN = 'tenx_admin_embedded_modules_test_0123456789';

// Embedded mode's RSS budget (< 300 MB, `npm run bench -- embedded`) has no room for libraries it never
// runs: Redis and BullMQ (no REDIS_URL), undici (no webhook sent) and the GeoIP tables (clicks from loopback).
describe('tenx serve in embedded mode loads only what it uses', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tenx-embedded-modules-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves API calls and redirects, and stops, without loading redis, bullmq, undici or geoip-lite', async () => {
    const port = await freePort();
    const list = join(dir, 'modules.txt');
    const env = {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      ADMIN_TOKEN: ADMIN,
      CTX_SECRETS: '',
      SECRET_KEY: '',
      DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_OPTIONS: `--import=${RECORDER}`,
      RECORD_MODULES_TO: list,
    };
    const server = await spawnServer(['scripts/tenx.js', 'serve'], { env, port });
    try {
      const api = (path: string, token: string, body: unknown) =>
        fetch(server.url + path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const handle = await api('/v2/handles', ADMIN, { handle: 'acme', name: 'Acme' });
      expect(handle.status).to.equal(201);
      const { ownerToken } = await handle.json();
      const campaign = await api('/v2/handles/acme/campaigns', ownerToken, {
        campaignId: 'alpha',
        goalType: 'AFFILIATE_CLICKOUT',
        status: 'ACTIVE',
        primaryLink: { slug: 'deal', destinationUrl: 'https://merchant.example.com/p' },
      });
      expect(campaign.status).to.equal(201);
      const click = await fetch(`${server.url}/acme/deal`, {
        redirect: 'manual',
        headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0' },
      });
      expect(click.status).to.equal(302);
      expect(click.headers.get('location')).to.match(/^https:\/\/merchant\.example\.com\/p\?ctx=/);
    } finally {
      server.child.kill('SIGTERM');
    }
    const code = await new Promise((ok) => (server.child.exitCode !== null ? ok(server.child.exitCode) : server.child.once('exit', ok)));
    expect(code, server.output()).to.equal(0);
    const loaded = readFileSync(list, 'utf8').split('\n');
    expect(
      loaded.some((u) => u.includes('/node_modules/@electric-sql/pglite/')),
      'the recorder saw PGlite',
    ).to.equal(true);
    const unused = loaded.filter((u) => /\/node_modules\/(bullmq|redis|@redis\/[^/]+|undici|geoip-lite)\//.test(u));
    expect(unused).to.deep.equal([]);
  });
});
