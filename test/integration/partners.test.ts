import { expect } from 'chai';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';
import { campaign } from '../support/redirect.ts';
import { createPartner, partnerToken } from '../support/partners.ts';

describe('partners: a handle manages its partners, their campaigns and their tokens', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  const base = () => `/v2/handles/${h.handle}/partners`;

  before(async () => {
    server = await startTestServer();
    h = await createHandle(server);
  });
  after(async () => server?.close());

  it('creates a partner with defaults, stores minimumPayout as numeric(14,2), reads and lists it', async () => {
    const res = await server.http.post(base()).set(h.auth).send({ partnerId: 'creator-anna', name: 'Anna Creates', email: 'anna@example.com', minimumPayout: 50.1 }).expect(201);
    expect(res.body).to.include({ partnerId: 'creator-anna', name: 'Anna Creates', email: 'anna@example.com', status: 'ACTIVE', minimumPayout: 50.1 });
    expect(Date.parse(res.body.createdAt)).to.be.closeTo(Date.now(), 10_000);
    const { rows } = await server.sql.query('select minimum_payout::text as m, status from partners where handle = $1 and partner_id = $2', [h.handle, 'creator-anna']);
    expect(rows[0]).to.deep.equal({ m: '50.10', status: 'ACTIVE' });

    const plain = await server.http.post(base()).set(h.auth).send({ partnerId: 'blog-bob', name: 'Bob' }).expect(201);
    expect(plain.body).to.include({ email: null, status: 'ACTIVE', minimumPayout: 0 });
    expect((await server.http.get(`${base()}/creator-anna`).set(h.auth).expect(200)).body).to.deep.equal(res.body);
    const list = await server.http.get(`${base()}?limit=1`).set(h.auth).expect(200);
    expect(list.body.data.map((p: { partnerId: string }) => p.partnerId)).to.deep.equal(['blog-bob']);
    const next = await server.http.get(`${base()}?limit=1&cursor=${list.body.nextCursor}`).set(h.auth).expect(200);
    expect(next.body.data.map((p: { partnerId: string }) => p.partnerId)).to.deep.equal(['creator-anna']);
  });

  it('refuses bad partners with 400 pointers, a duplicate with 409, an unknown one with 404', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ partnerId: 'Bad_Id', name: 'x' }, '/body/partnerId'],
      [{ partnerId: 'ok-id' }, '/body/name'],
      [{ partnerId: 'ok-id', name: 'x', status: 'DELETED' }, '/body/status'],
      [{ partnerId: 'ok-id', name: 'x', minimumPayout: -1 }, '/body/minimumPayout'],
      [{ partnerId: 'ok-id', name: 'x', minimumPayout: 10.005 }, '/body/minimumPayout'],
      [{ partnerId: 'ok-id', name: 'x', minimumPayout: 9e-9 }, '/body/minimumPayout'],
      [{ partnerId: 'ok-id', name: 'x', minimumPayout: 1e15 }, '/body/minimumPayout'],
      [{ partnerId: 'ok-id', name: 'x', email: 'not an email' }, '/body/email'],
      [{ partnerId: 'ok-id', name: 'x', commission: 5 }, '/body/commission'],
    ];
    for (const [body, pointer] of cases) {
      const res = await server.http.post(base()).set(h.auth).send(body).expect(400);
      expect(res.body.error.code).to.equal('invalid_request');
      expect(res.body.error.details.map((d: { pointer: string }) => d.pointer), JSON.stringify(body)).to.include(pointer);
    }
    await createPartner(server, h, 'dup-partner');
    const dup = await server.http.post(base()).set(h.auth).send({ partnerId: 'dup-partner', name: 'Again' }).expect(409);
    expect(dup.body.error.code).to.equal('conflict');
    expect((await server.http.get(`${base()}/no-such`).set(h.auth).expect(404)).body.error.code).to.equal('not_found');
    await server.http.patch(`${base()}/no-such`).set(h.auth).send({ name: 'x' }).expect(404);
    await server.http.patch(`${base()}/dup-partner`).set(h.auth).send({}).expect(400);
    await server.http.patch(`${base()}/dup-partner`).set(h.auth).send({ partnerId: 'renamed' }).expect(400);
    // Every failing field in one answer (API.md: details lists each failing field), the cents check's with the schema's.
    const both = await server.http.post(base()).set(h.auth).send({ partnerId: 'Bad_Id', name: 'x', minimumPayout: 10.005 }).expect(400);
    expect(both.body.error.details.map((d: { pointer: string }) => d.pointer)).to.have.members(['/body/partnerId', '/body/minimumPayout']);
    const patched = await server.http.patch(`${base()}/dup-partner`).set(h.auth).send({ status: 'DELETED', minimumPayout: 1.001 }).expect(400);
    expect(patched.body.error.details.map((d: { pointer: string }) => d.pointer)).to.have.members(['/body/status', '/body/minimumPayout']);
  });

  it('patches name, email, status and minimumPayout, and audits the change', async () => {
    await createPartner(server, h, 'patch-me', { email: 'a@example.com' });
    const res = await server.http.patch(`${base()}/patch-me`).set(h.auth).send({ status: 'SUSPENDED', minimumPayout: 25.5, email: null }).expect(200);
    expect(res.body).to.include({ partnerId: 'patch-me', status: 'SUSPENDED', minimumPayout: 25.5, email: null });
    const { rows } = await server.sql.query(`select payload from audit_events where handle = $1 and type = 'partner.updated' and subject_id = 'patch-me'`, [h.handle]);
    expect(rows).to.have.length(1);
    expect(rows[0].payload.after).to.deep.equal({ email: null, status: 'SUSPENDED', minimumPayout: 25.5 });
  });

  it('needs partners.write to write and partners.read to read', async () => {
    const reader = await createToken(server, h.handle, h.ownerToken, ['partners.read']);
    await server.http.get(base()).set(reader.auth).expect(200);
    const denied = await server.http.post(base()).set(reader.auth).send({ partnerId: 'nope', name: 'x' }).expect(403);
    expect(denied.body.error.code).to.equal('insufficient_scope');
    const other = await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
    await server.http.get(base()).set(other.auth).expect(403);
  });

  describe('campaigns name their partner', () => {
    before(async () => {
      await createPartner(server, h, 'camp-owner');
      await createPartner(server, h, 'camp-heir');
    });

    it('takes partnerId on POST and PATCH, shows it, filters lists by it, and detaches with null', async () => {
      const created = await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth)
        .send(campaign('owned-camp', 'owned-slug', 'https://merchant.example.com/a', { partnerId: 'camp-owner' })).expect(201);
      expect(created.body.partnerId).to.equal('camp-owner');
      const moved = await server.http.patch(`/v2/handles/${h.handle}/campaigns/owned-camp`).set(h.auth).send({ partnerId: 'camp-heir' }).expect(200);
      expect(moved.body.partnerId).to.equal('camp-heir');
      const list = await server.http.get(`/v2/handles/${h.handle}/campaigns?partnerId=camp-heir`).set(h.auth).expect(200);
      expect(list.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['owned-camp']);
      const { rows } = await server.sql.query(`select payload from audit_events where handle = $1 and type = 'campaign.updated' and campaign_id = 'owned-camp'`, [h.handle]);
      expect(rows.at(-1).payload).to.deep.equal({ before: { partnerId: 'camp-owner' }, after: { partnerId: 'camp-heir' } });
      const detached = await server.http.patch(`/v2/handles/${h.handle}/campaigns/owned-camp`).set(h.auth).send({ partnerId: null }).expect(200);
      expect(detached.body.partnerId).to.equal(null);
      const plain = await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send(campaign('plain-camp', 'plain-slug', 'https://merchant.example.com/b')).expect(201);
      expect(plain.body.partnerId).to.equal(null);
    });

    it('refuses an unknown partner with 422 unknown_partner (POST and PATCH), and a malformed one with 400', async () => {
      const post = await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth)
        .send(campaign('ghost-camp', 'ghost-slug', 'https://merchant.example.com/a', { partnerId: 'ghost' })).expect(422);
      expect(post.body.error.code).to.equal('unknown_partner');
      expect((await server.sql.query(`select 1 from campaigns where handle = $1 and campaign_id = 'ghost-camp'`, [h.handle])).rowCount).to.equal(0);
      const patch = await server.http.patch(`/v2/handles/${h.handle}/campaigns/plain-camp`).set(h.auth).send({ partnerId: 'ghost' }).expect(422);
      expect(patch.body.error.code).to.equal('unknown_partner');
      // A partner of another handle is unknown here too.
      const other = await createHandle(server);
      await createPartner(server, other, 'elsewhere');
      await server.http.patch(`/v2/handles/${h.handle}/campaigns/plain-camp`).set(h.auth).send({ partnerId: 'elsewhere' }).expect(422);
      const bad = await server.http.patch(`/v2/handles/${h.handle}/campaigns/plain-camp`).set(h.auth).send({ partnerId: 'Not Valid' }).expect(400);
      expect(bad.body.error.details[0].pointer).to.equal('/body/partnerId');
    });
  });

  describe('partner tokens', () => {
    before(async () => {
      await createPartner(server, h, 'tok-partner');
    });

    it('issues tenx_ptk_ tokens shown once and stored as a SHA-256 hash; lists without secrets', async () => {
      const res = await server.http.post(`${base()}/tok-partner/tokens`).set(h.auth).send({ name: 'portal' }).expect(201);
      expect(res.body.token).to.match(/^tenx_ptk_[A-Za-z0-9_-]{43}$/);
      expect(res.body).to.include({ name: 'portal', partnerId: 'tok-partner', expiresAt: null });
      expect(res.body.scopes).to.deep.equal(['partner.read']);
      const { rows } = await server.sql.query('select token_hash from partner_tokens where token_id = $1', [res.body.tokenId]);
      expect(rows[0].token_hash).to.match(/^[0-9a-f]{64}$/).and.not.include(res.body.token);
      const list = await server.http.get(`${base()}/tok-partner/tokens`).set(h.auth).expect(200);
      expect(list.body.data).to.have.length(1);
      expect(JSON.stringify(list.body)).not.to.include('tenx_ptk_');
      const both = await server.http.post(`${base()}/tok-partner/tokens`).set(h.auth).send({ name: 'pb', scopes: ['partner.read', 'partner.postbacks.write'] }).expect(201);
      expect(both.body.scopes).to.deep.equal(['partner.read', 'partner.postbacks.write']);
    });

    it('refuses handle scopes, past expiry, and unknown partners', async () => {
      const scope = await server.http.post(`${base()}/tok-partner/tokens`).set(h.auth).send({ name: 'x', scopes: ['analytics.read'] }).expect(400);
      expect(scope.body.error.details[0].pointer).to.equal('/body/scopes/0');
      const past = await server.http.post(`${base()}/tok-partner/tokens`).set(h.auth).send({ name: 'x', expiresAt: '2020-01-01T00:00:00Z' }).expect(400);
      expect(past.body.error.details[0].pointer).to.equal('/body/expiresAt');
      await server.http.post(`${base()}/no-such/tokens`).set(h.auth).send({ name: 'x' }).expect(404);
      await server.http.get(`${base()}/no-such/tokens`).set(h.auth).expect(404);
    });

    it("never outlives the token that mints it: an expiring PAT's partner tokens expire with it (422 beyond)", async () => {
      const soon = new Date(Date.now() + 3_600_000).toISOString();
      const pat = await server.http.post(`/v2/handles/${h.handle}/tokens`).set(h.auth).send({ name: 'tonight', scopes: ['partners.write'], expiresAt: soon }).expect(201);
      const asPat = { Authorization: `Bearer ${pat.body.token}` };
      const inherited = await server.http.post(`${base()}/tok-partner/tokens`).set(asPat).send({ name: 'portal' }).expect(201);
      expect(inherited.body.expiresAt).to.equal(pat.body.expiresAt);
      const later = await server.http.post(`${base()}/tok-partner/tokens`).set(asPat).send({ name: 'portal', expiresAt: new Date(Date.now() + 7_200_000).toISOString() }).expect(422);
      expect(later.body.error.code).to.equal('expiry_exceeds_token');
      const earlier = new Date(Date.now() + 1_800_000).toISOString();
      expect((await server.http.post(`${base()}/tok-partner/tokens`).set(asPat).send({ name: 'portal', expiresAt: earlier }).expect(201)).body.expiresAt).to.equal(earlier);
      // The owner token's never expire unless asked.
      expect((await server.http.post(`${base()}/tok-partner/tokens`).set(h.auth).send({ name: 'portal' }).expect(201)).body.expiresAt).to.equal(null);
    });

    it('answers 401 to a revoked or expired partner token', async () => {
      const t = await partnerToken(server, h, 'tok-partner');
      await server.http.get(`/v2/handles/${h.handle}/partner`).set(t.auth).expect(200);
      const revoked = await server.http.delete(`${base()}/tok-partner/tokens/${t.tokenId}`).set(h.auth).expect(200);
      expect(revoked.body.revokedAt).to.be.a('string');
      expect((await server.http.get(`/v2/handles/${h.handle}/partner`).set(t.auth).expect(401)).body.error.code).to.equal('unauthorized');
      // Revoking under another partner's path finds nothing.
      await createPartner(server, h, 'tok-other');
      const t2 = await partnerToken(server, h, 'tok-partner');
      await server.http.delete(`${base()}/tok-other/tokens/${t2.tokenId}`).set(h.auth).expect(404);
      await server.http.get(`/v2/handles/${h.handle}/partner`).set(t2.auth).expect(200);

      const soon = await partnerToken(server, h, 'tok-partner', { expiresAt: new Date(Date.now() + 60_000).toISOString() });
      await server.sql.query(`update partner_tokens set expires_at = now() - interval '1 second' where token_id = $1`, [soon.tokenId]);
      await server.http.get(`/v2/handles/${h.handle}/partner`).set(soon.auth).expect(401);
    });

    it("keeps a suspended partner's tokens reading its realm (revoke them to cut access)", async () => {
      await createPartner(server, h, 'tok-suspended');
      const t = await partnerToken(server, h, 'tok-suspended');
      await server.http.patch(`${base()}/tok-suspended`).set(h.auth).send({ status: 'SUSPENDED' }).expect(200);
      const me = await server.http.get(`/v2/handles/${h.handle}/partner`).set(t.auth).expect(200);
      expect(me.body).to.deep.equal({ partnerId: 'tok-suspended', name: 'Partner tok-suspended', status: 'SUSPENDED', balances: [] });
    });
  });
});
