import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { brotliDecompressSync } from 'node:zlib';
import { pino } from 'pino';
import type { Pool } from 'pg';
import { loadConfig } from '../../config/index.ts';
import { startKernel, type Kernel } from '../../core/kernel.ts';
import { MANIFEST, pgliteVersion, SHIPPED_TEMPLATE, type TemplateManifest } from '../../core/db/embedded-template.ts';
import { migrations } from '../../core/db/migrations/index.ts';
import { makeTemplate } from '../../core/db/template-maker.ts';
import { packDir, readTar, unpackStream } from '../../core/db/tar.ts';

const ADMIN_TOKEN = 'x-admin-0123456789abcdefghijklmnopqrstu';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** An embedded kernel on dataDir whose log lines are kept, to tell a template start from an initdb one. */
async function start(dataDir: string, template = ''): Promise<{ kernel: Kernel; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
  const config = loadConfig({
    DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', EMBEDDED_TEMPLATE: template,
    ADMIN_TOKEN, CTX_SECRETS: 'k-0123456789abcdef0123456789abcdef', SECRET_KEY: 's', TRUSTED_PROXIES: '127.0.0.1,::1',
  });
  return { kernel: await startKernel(config, { log: pino({ level: 'info' }, sink) }), logs };
}

const post = async (base: string, path: string, headers: Record<string, string>, body: unknown) => {
  const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};

/** A tenant, a campaign (0002), a partner (0014) and a stored click: tables from early and late migrations answer. */
async function exercise(kernel: Kernel, handle: string) {
  const base = kernel.url.replace('localhost', '127.0.0.1');
  expect((await fetch(`${base}/readyz`)).status).to.equal(200);
  const created = await post(base, '/v2/handles', ADMIN, { handle, name: 'Template' });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const owner = { authorization: `Bearer ${created.body.ownerToken}`, 'content-type': 'application/json' };
  expect((await post(base, `/v2/handles/${handle}/partners`, owner, { partnerId: 'alpha', name: 'Alpha', email: 'a@alpha.example' })).status).to.equal(201);
  const campaign = await post(base, `/v2/handles/${handle}/campaigns`, owner, {
    campaignId: 'c1', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
    primaryLink: { slug: 'deal', destinationUrl: 'https://merchant.example.com/p' },
  });
  expect(campaign.status, JSON.stringify(campaign.body)).to.equal(201);
  const click = await fetch(`${base}/${handle}/deal`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' } });
  expect(click.status).to.equal(302);
}

async function appliedMigrations(kernel: Kernel): Promise<string[]> {
  const { rows } = await kernel.container.resolve<Pool>('pg').query('select name from mikro_orm_migrations order by id');
  return rows.map((r) => r.name);
}

const seededLine = (logs: Array<Record<string, unknown>>) => logs.find((l) => /embedded database created/.test(String(l.msg)));

describe('embedded mode: a fresh DATA_DIR starts from a template', function () {
  this.timeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'tenx-embedded-tpl-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('ships a template made by the installed PGlite, holding a data directory and its migrations', () => {
    const entries = readTar(brotliDecompressSync(readFileSync(SHIPPED_TEMPLATE)));
    const manifest = JSON.parse(entries.find((e) => e.name === MANIFEST)!.data.toString()) as TemplateManifest;
    // After upgrading @electric-sql/pglite, `npm run embedded-template` remakes it (until then starts run initdb).
    expect(manifest.pglite).to.equal(pgliteVersion());
    expect(entries.map((e) => e.name)).to.include.members(['PG_VERSION', 'base', 'global', 'pg_wal']);
    expect(entries.map((e) => e.name)).to.not.include.members(['postmaster.pid', 'tenx.lock']);
    expect(manifest.migrations).to.deep.equal(migrations.slice(0, manifest.migrations.length).map((m) => m.name));
    // README: a first start has "initdb and migrations done once"; a template behind the migrations still works
    // (they run on start) but costs the first start their time. A new migration remakes it.
    expect(manifest.migrations.length, 'the shipped template lacks migrations: run `npm run embedded-template`').to.equal(migrations.length);
  });

  it('serves a fresh DATA_DIR from the shipped template (no initdb), with every migration applied, and reopens it', async () => {
    const dataDir = join(root, 'fresh');
    let { kernel, logs } = await start(dataDir);
    try {
      expect(seededLine(logs)?.msg).to.match(/from the template/);
      expect(await appliedMigrations(kernel)).to.deep.equal(migrations.map((m) => m.name));
      await exercise(kernel, 'fresh');
    } finally {
      await kernel.close();
    }
    ({ kernel, logs } = await start(dataDir));
    try {
      expect(seededLine(logs), 'a restart opens the data dir as it is').to.equal(undefined);
      const again = await post(kernel.url.replace('localhost', '127.0.0.1'), '/v2/handles', ADMIN, { handle: 'fresh', name: 'Again' });
      expect(again.status).to.equal(409);
    } finally {
      await kernel.close();
    }
  });

  it('migrates a data dir made from an older template (fewer migrations) on start', async () => {
    const older = join(root, 'older.tar'); // uncompressed: brotli at quality 11 took ~30 s of the test
    const upTo = migrations[4].name;
    const made = await makeTemplate(older, pino({ level: 'silent' }), { upTo });
    expect(made.migrations).to.deep.equal(migrations.slice(0, 5).map((m) => m.name));
    const { kernel, logs } = await start(join(root, 'from-older'), older);
    try {
      expect(seededLine(logs)).to.include({ templateMigrations: 5 });
      expect(await appliedMigrations(kernel)).to.deep.equal(migrations.map((m) => m.name));
      await exercise(kernel, 'older');
    } finally {
      await kernel.close();
    }
  });

  it('starts over an unpack that was cut short (files but no PG_VERSION)', async () => {
    const dataDir = join(root, 'cut-short');
    mkdirSync(join(dataDir, 'pg', 'base', '1'), { recursive: true });
    writeFileSync(join(dataDir, 'pg', 'base', '1', 'half-written'), 'x');
    const { kernel, logs } = await start(dataDir);
    try {
      expect(seededLine(logs)?.msg).to.match(/from the template/);
      expect(existsSync(join(dataDir, 'pg', 'base', '1', 'half-written'))).to.equal(false);
      await exercise(kernel, 'cut');
    } finally {
      await kernel.close();
    }
  });

  it('refuses an explicit template made by another PGlite version, naming both, and leaves the data dir unlocked', async () => {
    // The shipped template with its manifest claiming another PGlite build.
    const unpacked = join(root, 'other-version');
    const keep = (name: string) => name === MANIFEST;
    await unpackStream([brotliDecompressSync(readFileSync(SHIPPED_TEMPLATE))], unpacked, { keep, kept: () => {}, beforeWrite: () => {} });
    const file = join(root, 'other-version.tar');
    writeFileSync(file, packDir(unpacked, { extra: [{ name: MANIFEST, data: Buffer.from(JSON.stringify({ pglite: '0.0.1', migrations: [], createdAt: '' })) }] }));
    const dataDir = join(root, 'refused');
    const err = await start(dataDir, file).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/made by PGlite 0\.0\.1, this is PGlite \d+\.\d+\.\d+/);
    expect(existsSync(join(dataDir, 'pg', 'PG_VERSION'))).to.equal(false);
    expect(existsSync(join(dataDir, 'pg', 'tenx.lock'))).to.equal(false);
  });
});
