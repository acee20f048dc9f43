import { expect } from 'chai';
import pino from 'pino';
import { createHash } from 'node:crypto';
import { initOrm } from '../../core/db/orm.ts';
import { SCOPES } from '../../core/http/route.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const V2_SCOPES = ['campaigns.read', 'campaigns.write', 'analytics.read', 'webhooks.read', 'webhooks.write', 'notifications.read', 'tokens.write', 'plugins.read', 'plugins.write'];
const hash = (t: string) => createHash('sha256').update(t).digest('hex');
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

// Contract v2.1 "Scopes added": a database written by v2 keeps working, with the new scope rules.
describe('migration 0010: owner column and v2.1 scopes on a v2 database', () => {
  let db: TestDatabase;
  let server: TestServer;
  const tok = { owner: 'tenx_pat_owner-v2', analytics: 'tenx_pat_analytics-v2', reader: 'tenx_pat_reader-v2', fake: 'tenx_pat_fake-owner-v2' };

  before(async () => {
    db = await createTestDatabase();
    const orm = await initOrm(db.url, 2, pino({ level: 'silent' }));
    try {
      await orm.getMigrator().up({ to: '0009-conversion-rollups-inline' });
      const sql = orm.em.getConnection();
      await sql.execute(`insert into tenants (handle, name, reporting_currency) values ('old', 'Old', 'USD')`);
      const insert = (id: string, name: string, scopes: string[], token: string, at: string) => sql.execute(
        `insert into access_tokens (token_id, handle, name, scopes, token_hash, created_at) values (?, 'old', ?, ?, ?, ?)`,
        [id, name, `{${scopes.join(',')}}`, hash(token), at]);
      await insert('00000000-0000-7000-8000-000000000001', 'owner', V2_SCOPES, tok.owner, '2026-01-01T00:00:00Z');
      await insert('00000000-0000-7000-8000-000000000002', 'dash', ['analytics.read'], tok.analytics, '2026-01-02T00:00:00Z');
      await insert('00000000-0000-7000-8000-000000000003', 'ci', ['campaigns.read'], tok.reader, '2026-01-03T00:00:00Z');
      // A tenant's own token also called "owner", created later: not the owner.
      await insert('00000000-0000-7000-8000-000000000004', 'owner', ['campaigns.read'], tok.fake, '2026-01-04T00:00:00Z');
    } finally {
      await orm.close();
    }
    server = await startTestServer({ db });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('marks exactly the original owner token and gives it every v2.1 scope', async () => {
    const { rows } = await server.sql.query(`select name, scopes, is_owner from access_tokens where handle = 'old' order by created_at`);
    expect(rows.map((r) => r.is_owner)).to.deep.equal([true, false, false, false]);
    expect(rows[0].scopes).to.have.members([...SCOPES]);
    const me = await server.http.get('/v2/handles/old/tokens/current').set(bearer(tok.owner)).expect(200);
    expect(me.body.owner).to.equal(true);
    await server.http.delete('/v2/handles/old/tokens/00000000-0000-7000-8000-000000000001').set(server.admin()).expect(409);
  });

  it('keeps the audit log readable by tokens that had analytics.read, and every other scope exactly as it was', async () => {
    await server.http.get('/v2/handles/old/audit-events').set(bearer(tok.analytics)).expect(200);
    const { rows } = await server.sql.query(`select name, scopes from access_tokens where handle = 'old' and not is_owner order by created_at`);
    expect(rows.map((r) => r.scopes)).to.deep.equal([['analytics.read', 'audit.read'], ['campaigns.read'], ['campaigns.read']]);
    await server.http.get('/v2/handles/old/audit-events').set(bearer(tok.reader)).expect(403);
    await server.http.get('/v2/handles/old/audit-events').set(bearer(tok.fake)).expect(403);
  });
});
