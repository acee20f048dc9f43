import { expect } from 'chai';
import pg from 'pg';
import type supertest from 'supertest';
import { createPartner, holdSinceCreation, partnerToken } from '../support/partners.ts';
import { partnerHandle } from '../support/partner-traffic.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { waitFor } from '../support/redirect.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// What the read URL's own sessions call themselves (an application_name in the URL wins over the
// pool's), and a session PostgreSQL keeps read-only: a write sent there would fail.
const REPLICA = 'tenx_test_replica';
const READ_ONLY = 'options=-c%20default_transaction_read_only%3Don';

// Issue 17: DATABASE_READ_URL, tested with the same server as both. A side transaction locks the
// tables a request reads; the request's query then waits, and pg_stat_activity names the pool it
// came from: the read URL's sessions, never the primary's ('tenx').
describe('DATABASE_READ_URL: the read-only analytics queries use a pool of their own', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerHandle>>;
  let partner: { auth: Record<string, string> };

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ db, env: { DATABASE_READ_URL: `${db.url}?application_name=${REPLICA}&${READ_ONLY}` } });
    h = await partnerHandle(server);
    await createPartner(server, h, 'p1');
    await holdSinceCreation(server, h, 'partner-alpha', 'p1');
    partner = await partnerToken(server, h, 'p1');
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Sends the request while `tables` are locked; returns the pools of the queries that waited, and the answer. */
  async function poolsWaitingOn(tables: string, request: supertest.Test) {
    const lock = await server.sql.connect();
    try {
      await lock.query('begin');
      await lock.query(`lock table ${tables} in access exclusive mode`);
      const answer = request.then((r) => r);
      const waiting = await waitFor('the request to wait on the lock', async () => {
        const { rows } = await server.sql.query(
          `select application_name from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> $1`,
          [(await lock.query('select pg_backend_pid() as pid')).rows[0].pid],
        );
        return rows.length ? rows.map((r) => r.application_name as string) : null;
      }, 10_000);
      await lock.query('rollback');
      return { waiting: [...new Set(waiting)], res: await answer };
    } finally {
      lock.release();
    }
  }

  it('funnel and breakdowns of a handle read on DATABASE_READ_URL', async () => {
    const funnel = await poolsWaitingOn('campaigns', server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(h.auth));
    expect(funnel.waiting).to.deep.equal([REPLICA]);
    expect(funnel.res.status).to.equal(200);
    expect(funnel.res.body.totals.clicks).to.equal(10); // the fixture's 11 clicks, less the archived campaign's

    const byCountry = await poolsWaitingOn('campaigns', server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=country`).set(h.auth));
    expect(byCountry.waiting).to.deep.equal([REPLICA]);
    expect(byCountry.res.status).to.equal(200);
    expect(byCountry.res.body.data.length).to.be.greaterThan(0);
  });

  it('exports stream from the read URL (the export pool is built on it)', async () => {
    const exp = await poolsWaitingOn('clicks', server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson`).set(h.auth).buffer(true));
    expect(exp.waiting).to.deep.equal([REPLICA]);
    expect(exp.res.status).to.equal(200);
    expect(exp.res.text.trim().split('\n')).to.have.length(10);
  });

  it('the partner realm reads its analytics and balances there; its access check stays on the primary', async () => {
    const funnel = await poolsWaitingOn('campaigns', server.http.get(`/v2/handles/${h.handle}/partner/analytics?funnel=true`).set(partner.auth));
    expect(funnel.waiting).to.deep.equal([REPLICA]);
    expect(funnel.res.status).to.equal(200);

    const profile = await poolsWaitingOn('commissions', server.http.get(`/v2/handles/${h.handle}/partner`).set(partner.auth));
    expect(profile.waiting).to.deep.equal([REPLICA]);
    expect(profile.res.status).to.equal(200);
    expect(profile.res.body).to.include({ partnerId: 'p1' });

    // Which campaign a partner may name is an access decision: read on the primary, where a handover is seen at once.
    const check = await poolsWaitingOn('campaigns', server.http.get(`/v2/handles/${h.handle}/partner/conversions?campaignId=partner-alpha`).set(partner.auth));
    expect(check.waiting).to.deep.equal(['tenx']);
    expect(check.res.status).to.equal(200);
  });

  it('everything that writes stays on DATABASE_URL (the read session refuses writes), and reads its own write at once', async () => {
    const created = await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth)
      .send({ campaignId: 'fresh', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'fresh', destinationUrl: 'https://shop.example.com/' } })
      .expect(201);
    expect(created.body.campaignId).to.equal('fresh');
    await server.http.get(`/v2/handles/${h.handle}/campaigns/fresh`).set(h.auth).expect(200);
    // The read URL really is read-only, so any write the server had sent there would have failed.
    const readOnly = new pg.Client({ connectionString: `${db.url}?${READ_ONLY}` });
    await readOnly.connect();
    try {
      const refused = await readOnly.query(`update campaigns set status = status where handle = $1`, [h.handle]).catch((err) => err.code);
      expect(refused, 'read_only_sql_transaction').to.equal('25006');
    } finally {
      await readOnly.end();
    }
    const { rows } = await server.sql.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`, [REPLICA]);
    expect(rows[0].n, 'the read pool holds its sessions').to.be.greaterThan(0);
  });
});
