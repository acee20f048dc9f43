import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CONVERSIONS, clickThrough, partnerCampaign } from '../support/conversions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { runNode } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));

function reconcile(url: string, handle: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([TENX, 'reconcile', handle], { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' });
}

describe('tenx reconcile proves the commission ledger (issue 15)', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('exits 0 on a ledger written by conversions, 1 once a commission is not what its rule gave', async () => {
    const t = await partnerCampaign(server);
    await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'anna', name: 'Anna' }).expect(201);
    await server.http.patch(`/v2/handles/${t.handle}/campaigns/${t.campaignId}`).set(t.auth).send({ partnerId: 'anna' }).expect(200);
    await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 7.5 }).expect(201);
    const ctx = await clickThrough(server, t.handle, t.slug);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 99.99, currency: 'USD', idempotencyKey: 'o1' }).expect(201);

    const clean = await reconcile(server.db.url, t.handle);
    expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
    expect(clean.stdout).to.include('the commission ledger holds');

    await server.sql.query(`update commissions set amount = amount + 0.01 where handle = $1`, [t.handle]);
    const broken = await reconcile(server.db.url, t.handle);
    expect(broken.code, broken.stdout + broken.stderr).to.equal(1);
    expect(broken.stdout).to.include('a conversion commission is what its rule gave for its conversion: 1 row(s)');
  });

  it('without DATABASE_URL and with no embedded database under DATA_DIR, says so (exit 2) and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenx-reconcile-'));
    try {
      const res = await runNode([TENX, 'reconcile', 'acme'], { ...process.env, DATABASE_URL: '', DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' });
      expect(res.code, res.stderr).to.equal(2);
      expect(res.stderr).to.include('no database to check: DATABASE_URL is empty');
      expect(readdirSync(dir)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a connection dropped under it in one line and exit 1, never a crash', async () => {
    const t = await partnerCampaign(server);
    // Hold the ledger's table so the command's ledger check waits on it, then end that backend (57P01,
    // what a PostgreSQL restart or a proxy cut does to a connection in use).
    const holder = await server.sql.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table commissions in access exclusive mode');
      const run = reconcile(server.db.url, t.handle);
      let terminated = 0;
      for (let i = 0; i < 200 && !terminated; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const { rows } = await server.sql.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
          [server.db.name],
        );
        terminated = rows.length;
      }
      expect(terminated, 'the command waited on the lock').to.equal(1);
      await holder.query('rollback');
      const r = await run;
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stderr).to.match(/^tenx: terminating connection due to administrator command\n$/);
    } finally {
      await holder.query('rollback').catch(() => {});
      holder.release();
    }
  });
});
