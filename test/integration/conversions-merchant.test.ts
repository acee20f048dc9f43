import { expect } from 'chai';
import { codec, CONVERSIONS, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

// Issue 12 item 2 (core/conversions/merchant-auth.ts): anyone holding a ctx could
// post conversions of any value; the merchant's server now posts with a conversions.write token.
describe('issue 12: merchant-authenticated conversions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  const funnelRow = async (handle: string, auth: { Authorization: string }) =>
    (await server.http.get(`/v2/handles/${handle}/analytics?funnel=true`).set(auth).expect(200)).body.data[0];
  const sale = (ctx: string, idempotencyKey: string, value = 49.9) => ({ ctx, eventType: 'sale', value, currency: 'USD', idempotencyKey });

  it('a new handle defaults to flag; POST, GET and PATCH /v2/handles/{handle} show and change publicConversions', async () => {
    const created = await server.http.post('/v2/handles').set(server.admin()).send({ handle: `h-${Date.now().toString(36)}`, name: 'New' }).expect(201);
    expect(created.body.publicConversions).to.equal('flag');
    const owner = { Authorization: `Bearer ${created.body.ownerToken}` };
    const path = `/v2/handles/${created.body.handle}`;
    expect((await server.http.get(path).set(owner).expect(200)).body).to.include({ publicConversions: 'flag', name: 'New' });

    const writer = await createToken(server, created.body.handle, created.body.ownerToken, ['conversions.write']);
    const reader = await createToken(server, created.body.handle, created.body.ownerToken, ['campaigns.read', 'campaigns.write']);
    await server.http.patch(path).set(reader.auth).send({ publicConversions: 'accept' }).expect(403);
    await server.http.patch(path).set(writer.auth).send({ publicConversions: 'sometimes' }).expect(400);
    await server.http.patch(path).set(writer.auth).send({}).expect(400);
    await server.http.patch(path).set(writer.auth).send({ publicConversions: 'refuse' }).expect(200);
    const patched = await server.http.patch(path).set(owner).send({ name: 'Renamed' }).expect(200);
    expect(patched.body).to.include({ publicConversions: 'refuse', name: 'Renamed', reportingCurrency: 'USD' });
    expect((await server.http.get(path).set(owner).expect(200)).body.publicConversions).to.equal('refuse');
    // Another tenant's token never learns the handle exists.
    const other = await createHandle(server);
    await server.http.patch(path).set(other.auth).send({ name: 'x' }).expect(404);
  });

  it('records a conversion posted with a conversions.write token as authenticated, and counts it as verified on a flag handle', async () => {
    const { handle, auth, ownerToken, campaignId } = await partnerCampaign(server, { publicConversions: null });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const { ctx } = await storedClick(server, handle, campaignId);
    const res = await server.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, 'order-1')).expect(201);
    expect(res.body).to.include({ authenticated: true, deduped: false });
    const again = await server.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, 'order-1')).expect(200);
    expect(again.body).to.include({ authenticated: true, deduped: true });
    const { rows } = await server.sql.query('select authenticated, verified from conversions where handle = $1', [handle]);
    expect(rows).to.deep.equal([{ authenticated: true, verified: true }]);
    const audit = await server.sql.query("select actor from audit_events where handle = $1 and type = 'conversion.created'", [handle]);
    expect(audit.rows[0].actor, 'the merchant token is the actor').to.equal(merchant.tokenId);
    expect(await funnelRow(handle, auth)).to.include({ conversions: 1, verifiedConversions: 1, unauthenticatedConversions: 0 });
  });

  it('flag: a ctx-only conversion is recorded with authenticated: false, shown as unauthenticatedConversions, never verified', async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server, { publicConversions: 'flag' });
    const { ctx } = await storedClick(server, handle, campaignId);
    const res = await server.http.post(CONVERSIONS).send(sale(ctx, 'forged-1', 999_999_999.99)).expect(201);
    expect(res.body.authenticated).to.equal(false);
    const row = await funnelRow(handle, auth);
    expect(row).to.include({ conversions: 1, verifiedConversions: 0, unauthenticatedConversions: 1 });
    expect((await server.http.get(`/v2/handles/${handle}/analytics?funnel=true`).set(auth).expect(200)).body.totals)
      .to.include({ verifiedConversions: 0, unauthenticatedConversions: 1 });
  });

  it('accept (v2 handles): a ctx-only conversion still counts as verified, and as unauthenticated', async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server, { publicConversions: 'accept' });
    const { ctx } = await storedClick(server, handle, campaignId);
    await server.http.post(CONVERSIONS).send(sale(ctx, 'v2-1')).expect(201);
    expect(await funnelRow(handle, auth)).to.include({ conversions: 1, verifiedConversions: 1, unauthenticatedConversions: 1 });
  });

  it('refuse: 401 without a merchant token, 201 with one; the setting takes effect at once', async () => {
    const { handle, ownerToken, campaignId } = await partnerCampaign(server, { publicConversions: 'accept' });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const { ctx } = await storedClick(server, handle, campaignId);
    await server.http.post(CONVERSIONS).send(sale(ctx, 'before')).expect(201); // warms the lookup cache
    await server.http.patch(`/v2/handles/${handle}`).set(merchant.auth).send({ publicConversions: 'refuse' }).expect(200);
    const refused = await server.http.post(CONVERSIONS).send(sale(ctx, 'after')).expect(401);
    expect(refused.body.error.code).to.equal('unauthorized');
    await server.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, 'after')).expect(201);
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(2);
  });

  it("a merchant's conversions.write token sets publicConversions but cannot rename the handle; a token holding every scope can", async () => {
    const { handle, ownerToken } = await partnerCampaign(server, { publicConversions: 'accept' });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const owner = { Authorization: `Bearer ${ownerToken}` };
    const before = (await server.http.get(`/v2/handles/${handle}`).set(owner).expect(200)).body.name;
    for (const body of [{ name: 'hijacked' }, { name: 'hijacked', publicConversions: 'refuse' }]) {
      const refused = await server.http.patch(`/v2/handles/${handle}`).set(merchant.auth).send(body).expect(403);
      expect(refused.body.error.code).to.equal('insufficient_scope');
      expect(refused.body.error.message).to.match(/^Renaming a handle takes a token holding every scope/);
    }
    expect((await server.http.get(`/v2/handles/${handle}`).set(owner).expect(200)).body).to.include({ name: before, publicConversions: 'accept' });
    expect(await count(server, "audit_events where handle = $1 and type = 'handle.updated'", [handle])).to.equal(0);
    await server.http.patch(`/v2/handles/${handle}`).set(owner).send({ name: 'Renamed' }).expect(200);
    expect((await server.http.get(`/v2/handles/${handle}`).set(owner).expect(200)).body.name).to.equal('Renamed');
  });

  it("a merchant's conversions.write token may tighten publicConversions but never loosen it, not even by racing the owner", async () => {
    const { handle, ownerToken } = await partnerCampaign(server, { publicConversions: 'flag' });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const owner = { Authorization: `Bearer ${ownerToken}` };
    const path = `/v2/handles/${handle}`;
    const mode = async () => (await server.http.get(path).set(owner).expect(200)).body.publicConversions;
    const refused = await server.http.patch(path).set(merchant.auth).send({ publicConversions: 'accept' }).expect(403);
    expect(refused.body.error.code).to.equal('insufficient_scope');
    expect(refused.body.error.message).to.match(/^Loosening publicConversions \(flag → accept\) takes a token holding every scope/);
    expect(await mode()).to.equal('flag');
    await server.http.patch(path).set(merchant.auth).send({ publicConversions: 'flag' }).expect(200); // no change: allowed
    await server.http.patch(path).set(merchant.auth).send({ publicConversions: 'refuse' }).expect(200);
    await server.http.patch(path).set(merchant.auth).send({ publicConversions: 'flag' }).expect(403);
    expect(await mode()).to.equal('refuse');
    const audits = await count(server, "audit_events where handle = $1 and type = 'handle.updated'", [handle]);
    expect(audits).to.equal(1);
    await server.http.patch(path).set(owner).send({ publicConversions: 'accept' }).expect(200);

    // The owner tightens to refuse while the merchant asks for flag (a tightening of accept, a loosening of refuse):
    // whichever the row holds when the merchant's change is checked decides, so the handle never ends looser than refuse
    // after a refuse was answered unless the owner itself loosened it.
    for (let round = 0; round < 10; round++) {
      await server.http.patch(path).set(owner).send({ publicConversions: 'accept' }).expect(200);
      const [byOwner, byMerchant] = await Promise.all([
        server.http.patch(path).set(owner).send({ publicConversions: 'refuse' }),
        server.http.patch(path).set(merchant.auth).send({ publicConversions: 'flag' }),
      ]);
      expect(byOwner.status).to.equal(200);
      const final = await mode();
      if (byMerchant.status === 403) {
        expect(final, `round ${round}: the merchant was refused after the owner's refuse`).to.equal('refuse');
        expect(byMerchant.body.error.message).to.match(/\(refuse → flag\)/);
      } else {
        // The merchant's flag came first (a tightening of accept); the owner's refuse then won.
        expect(byMerchant.status, `round ${round}`).to.equal(200);
        expect(byMerchant.body.publicConversions).to.equal('flag');
        expect(final, `round ${round}`).to.equal('refuse');
      }
    }
  });

  it("judges a merchant's change against the row it locked: the owner's refuse, committed while the merchant's flag waited on the lock, makes that flag a loosening (403)", async () => {
    const { handle, ownerToken } = await partnerCampaign(server, { publicConversions: 'accept' });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const owner = { Authorization: `Bearer ${ownerToken}` };
    const holder = await server.sql.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from tenants where handle = $1 for update', [handle]);
      // accept → flag is a tightening of the mode the merchant's request would have read before the lock.
      const pending = server.http.patch(`/v2/handles/${handle}`).set(merchant.auth).send({ publicConversions: 'flag' }).then((r) => r);
      for (let i = 0; i < 100; i++) {
        const { rows } = await server.sql.query("select count(*)::int as n from pg_locks l join pg_stat_activity a using (pid) where not l.granted and a.query like '%from tenants where handle%for update%'");
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await holder.query("update tenants set public_conversions = 'refuse' where handle = $1", [handle]);
      await holder.query('commit');
      const answer = await pending;
      expect(answer.status).to.equal(403);
      expect(answer.body.error.message).to.match(/^Loosening publicConversions \(refuse → flag\)/);
    } finally {
      holder.release();
    }
    expect((await server.http.get(`/v2/handles/${handle}`).set(owner).expect(200)).body.publicConversions).to.equal('refuse');
  });

  it('refuses bad, revoked and other-handle tokens with 401 and a token without conversions.write with 403, recording nothing', async () => {
    const { handle, ownerToken, campaignId } = await partnerCampaign(server, { publicConversions: 'flag' });
    const other = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const revoked = await createToken(server, handle, ownerToken, ['conversions.write']);
    await server.http.delete(`/v2/handles/${handle}/tokens/${revoked.tokenId}`).set({ Authorization: `Bearer ${ownerToken}` }).expect(200);
    const otherMerchant = await createToken(server, other.handle, other.ownerToken, ['conversions.write']);
    const readOnly = await createToken(server, handle, ownerToken, ['campaigns.read', 'conversions.read']);

    const cases: [string, Record<string, string>, number][] = [
      ['garbage', { Authorization: 'Bearer tenx_pat_not-a-token' }, 401],
      ['not bearer', { Authorization: 'Basic abc' }, 401],
      ['revoked', revoked.auth, 401],
      ["another handle's token", otherMerchant.auth, 401],
      ['no conversions.write', readOnly.auth, 403],
    ];
    for (const [what, headers, status] of cases) {
      const res = await server.http.post(CONVERSIONS).set(headers).send(sale(ctx, `k-${what}`));
      expect(res.status, what).to.equal(status);
      expect(res.body.error.code, what).to.equal(status === 401 ? 'unauthorized' : 'insufficient_scope');
    }
    // The other handle's token gets the same answer as a garbage one: whose the ctx is stays unsaid.
    const garbage = await server.http.post(CONVERSIONS).set({ Authorization: 'Bearer tenx_pat_nope' }).send(sale(ctx, 'x'));
    const foreign = await server.http.post(CONVERSIONS).set(otherMerchant.auth).send(sale(ctx, 'x'));
    expect(foreign.body).to.deep.equal(garbage.body);
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(0);
  });

  it("a merchant repeat of a key someone posted first with the ctx alone is a mismatch (squatted key)", async () => {
    const { handle, ownerToken, campaignId } = await partnerCampaign(server, { publicConversions: 'flag' });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const { ctx } = await storedClick(server, handle, campaignId);
    await server.http.post(CONVERSIONS).send(sale(ctx, 'order-77')).expect(201);
    const res = await server.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, 'order-77')).expect(200);
    expect(res.body).to.include({ deduped: true, mismatch: true, authenticated: false });
    const audit = await server.sql.query("select actor, payload from audit_events where handle = $1 and type = 'conversion.mismatch'", [handle]);
    expect(audit.rows[0].actor).to.equal(merchant.tokenId);
    expect(audit.rows[0].payload.changes).to.deep.equal({ authenticated: { original: false, submitted: true } });
  });

  it("a repeat posted with the ctx of another click gets the original's id, not its campaign, click, value or sub-IDs (unless the merchant's)", async () => {
    // A review: any visitor of any link read other partners' conversions by their order ids, even with an expired ctx.
    const { handle, auth, ownerToken, campaignId } = await partnerCampaign(server, { publicConversions: 'flag' });
    await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send({
      campaignId: 'rival', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'rival', destinationUrl: 'https://merchant.example.com/rival' },
    }).expect(201);
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const rivals = await storedClick(server, handle, 'rival');
    await server.sql.query("update clicks set sub1 = 'rival-secret' where click_id = $1", [rivals.clickId]);
    const order = { ctx: rivals.ctx, eventType: 'affiliate_click', value: 500, currency: 'EUR', idempotencyKey: 'order-9' };
    const original = (await server.http.post(CONVERSIONS).set(merchant.auth).send(order).expect(201)).body;
    expect(original).to.include({ campaignId: 'rival', value: 500, sub1: 'rival-secret' });

    const mine = await storedClick(server, handle, campaignId);
    const res = await server.http.post(CONVERSIONS).send({ ...order, ctx: mine.ctx }).expect(200);
    expect(res.body).to.deep.equal({
      conversionId: original.conversionId, deduped: true, mismatch: true, eventType: 'affiliate_click', authenticated: true, createdAt: original.createdAt,
      clickId: null, campaignId: null, value: null, currency: null, sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
    });
    // A submission that would be refused on its own (an expired ctx, an event type the campaign does not take) is refused
    // when its key is another click's, as when no one holds the key: nothing says which order ids exist, nothing is written.
    const audits = () => count(server, "audit_events where handle = $1 and type in ('conversion.mismatch', 'conversion.deduped')", [handle]);
    const before = await audits();
    const expired = await storedClick(server, handle, campaignId, { issuedAt: new Date(Date.now() - 3 * 86_400_000), windowDays: 1 });
    for (const key of ['order-9', 'order-unknown']) {
      expect((await server.http.post(CONVERSIONS).send({ ...order, ctx: expired.ctx, idempotencyKey: key }).expect(422)).body.error.code).to.equal('ctx_expired');
      expect((await server.http.post(CONVERSIONS).send({ ...order, ctx: mine.ctx, eventType: 'signup', idempotencyKey: key }).expect(422)).body.error.code).to.equal('event_type_not_allowed');
    }
    expect(await audits()).to.equal(before);
    // The original's own click, with its ctx expired since, still gets it (a retry after the window, as before).
    const ownExpired = codec(server).sign({ clickId: rivals.clickId, handle, campaignId: 'rival', issuedAt: new Date(Date.now() - 3 * 86_400_000), windowDays: 1 });
    expect((await server.http.post(CONVERSIONS).send({ ...order, ctx: ownExpired }).expect(200)).body).to.include({ conversionId: original.conversionId, campaignId: 'rival' });
    // The original's own click, or the merchant's token, still read it whole.
    expect((await server.http.post(CONVERSIONS).send({ ...order, value: 1 }).expect(200)).body).to.include({ campaignId: 'rival', value: 500, sub1: 'rival-secret', mismatch: true });
    expect((await server.http.post(CONVERSIONS).set(merchant.auth).send({ ...order, ctx: mine.ctx }).expect(200)).body)
      .to.include({ conversionId: original.conversionId, campaignId: 'rival', clickId: rivals.clickId, value: 500, mismatch: true });
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(1);
  });
});
