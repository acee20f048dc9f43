import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { PARTNER_SCOPES, SCOPES, type RouteDef } from '../../core/http/route.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { campaign } from '../support/redirect.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

/** The scope a route needs: a handle scope, or a partner scope on the partner realm. */
const neededScope = (route: RouteDef) => (typeof route.auth === 'object' ? ('scope' in route.auth ? route.auth.scope : route.auth.partner) : undefined);
const isRealm = (route: RouteDef) => typeof route.auth === 'object' && 'partner' in route.auth;

/** Fills a route's path with the target handle and plausible ids. */
function pathFor(route: RouteDef, handle: string): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'handle' ? handle : name.endsWith('Id') && name !== 'campaignId' ? uuidv7() : 'x-nope'));
}

function send(server: TestServer, route: RouteDef, path: string, headers: Record<string, string>) {
  const req = server.http[route.method.toLowerCase() as 'get'](path).set(headers);
  return route.body ? req.send({}) : req;
}

// Walks every route in the router's table, so routes added later are covered without editing this file.
describe('auth matrix: every protected route', () => {
  let server: TestServer;
  let routes: RouteDef[];
  let target: Awaited<ReturnType<typeof createHandle>>;
  let foreign: Awaited<ReturnType<typeof createHandle>>;
  const wrongScope = new Map<string, string>();
  // Partner tokens: of the target handle's partner "own", of its other partner "rival", of the foreign handle.
  let own: Awaited<ReturnType<typeof partnerToken>>;
  let foreignPartner: Awaited<ReturnType<typeof partnerToken>>;

  before(async () => {
    server = await startTestServer();
    routes = server.kernel.container.resolve<RouteDef[]>('routeTable');
    target = await createHandle(server);
    foreign = await createHandle(server);
    for (const scope of SCOPES) {
      const others = SCOPES.filter((s) => s !== scope);
      wrongScope.set(scope, (await createToken(server, target.handle, target.ownerToken, others)).token);
    }
    await createPartner(server, target, 'own');
    await createPartner(server, target, 'rival');
    await server.http.post(`/v2/handles/${target.handle}/campaigns`).set(target.auth)
      .send(campaign('rival-camp', 'rival-slug', 'https://merchant.example.com/r', { partnerId: 'rival' })).expect(201);
    // Every partner scope: the id checks below must reach the write routes (postbacks) past their scope check.
    own = await partnerToken(server, target, 'own', { scopes: [...PARTNER_SCOPES] });
    for (const scope of PARTNER_SCOPES) {
      const others = PARTNER_SCOPES.filter((s) => s !== scope);
      wrongScope.set(scope, (await partnerToken(server, target, 'own', { scopes: others })).token);
    }
    await createPartner(server, foreign, 'own');
    foreignPartner = await partnerToken(server, foreign, 'own');
  });
  after(async () => server?.close());

  it('has protected routes to check', () => {
    expect(routes.filter((r) => typeof r.auth === 'object').length).to.be.greaterThan(5);
  });

  it('answers 401 without a token or with a malformed one', async () => {
    for (const route of routes.filter((r) => r.auth !== 'public')) {
      const path = pathFor(route, target.handle);
      const none = await send(server, route, path, {});
      expect(none.status, `${route.method} ${route.path}`).to.equal(401);
      expect(none.body.error.code).to.equal('unauthorized');
      expect(none.headers['www-authenticate'], `${route.method} ${route.path}: RFC 9110 challenge`).to.equal('Bearer realm="tenx"');
      const bad = await send(server, route, path, { Authorization: 'Bearer tenx_pat_forged' });
      expect(bad.status, `${route.method} ${route.path} forged`).to.equal(401);
      const forgedPartner = await send(server, route, path, { Authorization: 'Bearer tenx_ptk_forged' });
      expect(forgedPartner.status, `${route.method} ${route.path} forged partner token`).to.equal(401);
    }
  });

  it("answers 404 to another tenant's token, never revealing the handle", async () => {
    for (const route of routes.filter((r) => (typeof r.auth === 'object' || r.auth === 'token') && r.path.includes('{handle}'))) {
      const res = await send(server, route, pathFor(route, target.handle), foreign.auth);
      expect(res.status, `${route.method} ${route.path}`).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
    }
  });

  it('answers 403 insufficient_scope to a token lacking exactly the needed scope', async () => {
    for (const route of routes.filter((r) => typeof r.auth === 'object')) {
      const scope = neededScope(route)!;
      const res = await send(server, route, pathFor(route, target.handle), { Authorization: `Bearer ${wrongScope.get(scope)}` });
      expect(res.status, `${route.method} ${route.path}`).to.equal(403);
      expect(res.body.error.code).to.equal('insufficient_scope');
    }
  });

  it('keeps operator routes for the admin token', async () => {
    for (const route of routes.filter((r) => r.auth === 'admin')) {
      const res = await send(server, route, pathFor(route, target.handle), target.auth);
      expect(res.status, `${route.method} ${route.path}`).to.equal(403);
      expect(res.body.error.code).to.equal('forbidden');
    }
  });

  it('has partner realm routes to check', () => {
    expect(routes.filter(isRealm).length).to.be.at.least(5);
  });

  it('answers 403 forbidden to a partner token on every route outside the partner realm', async () => {
    for (const route of routes.filter((r) => r.auth !== 'public' && !isRealm(r))) {
      const res = await send(server, route, pathFor(route, target.handle), own.auth);
      expect(res.status, `${route.method} ${route.path}`).to.equal(403);
      expect(res.body.error.code).to.equal('forbidden');
    }
  });

  it('answers 403 forbidden to handle tokens and the admin token on every partner realm route', async () => {
    for (const route of routes.filter(isRealm)) {
      for (const [who, headers] of [['owner', target.auth], ['admin', server.admin()]] as const) {
        const res = await send(server, route, pathFor(route, target.handle), headers);
        expect(res.status, `${who} on ${route.method} ${route.path}`).to.equal(403);
        expect(res.body.error.code).to.equal('forbidden');
      }
    }
  });

  it("answers 404 to another handle's partner token on every route of the handle, realm or not", async () => {
    for (const route of routes.filter((r) => r.auth !== 'public' && r.auth !== 'admin' && r.path.includes('{handle}'))) {
      const res = await send(server, route, pathFor(route, target.handle), foreignPartner.auth);
      expect(res.status, `${route.method} ${route.path}`).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
    }
  });

  it("answers 404 to a partner naming another partner's ids on the realm, never its data", async () => {
    let checked = 0;
    for (const route of routes.filter(isRealm)) {
      const ids = (route.path.match(/\{(\w+)\}/g) ?? []).filter((p) => p !== '{handle}');
      const takesCampaign = Boolean((route.query as { properties?: Record<string, unknown> } | undefined)?.properties?.campaignId);
      if (!ids.length && !takesCampaign) continue;
      const query = takesCampaign ? `?campaignId=rival-camp${route.path.endsWith('/export') ? '&format=csv' : ''}${route.path.endsWith('/analytics') ? '&funnel=true' : ''}` : '';
      const res = await send(server, route, `${pathFor(route, target.handle)}${query}`, own.auth);
      expect(res.status, `${route.method} ${route.path}${query}`).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
      expect(JSON.stringify(res.body)).not.to.include('rival');
      checked++;
    }
    expect(checked).to.be.at.least(3);
  });
});

// Issue 12 item 1: a token never grants, outlives, revokes or rotates more than it holds itself.
describe('auth matrix: token rules', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  let ownerId: string;
  const tokens = (t: { Authorization: string }) => server.http.post(`/v2/handles/${h.handle}/tokens`).set(t);
  const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

  before(async () => {
    server = await startTestServer();
    h = await createHandle(server);
    ownerId = (await server.http.get(`/v2/handles/${h.handle}/tokens/current`).set(h.auth).expect(200)).body.tokenId;
  });
  after(async () => server?.close());

  it('gives a new handle one owner token holding every scope (tracked by a column, not by its name)', async () => {
    const me = await server.http.get(`/v2/handles/${h.handle}/tokens/current`).set(h.auth).expect(200);
    expect(me.body.scopes).to.have.members([...SCOPES]);
    expect(me.body.owner).to.equal(true);
    // A token a tenant names "owner" is just a token.
    const named = await tokens(h.auth).send({ name: 'owner', scopes: ['campaigns.read'] }).expect(201);
    expect(named.body.owner).to.equal(false);
    const { rows } = await server.sql.query('select count(*)::int as n from access_tokens where handle = $1 and is_owner', [h.handle]);
    expect(rows[0].n).to.equal(1);
  });

  it('refuses a tokens.write-only token minting broader tokens (403 insufficient_scope), which then cannot read campaigns', async () => {
    const writer = await createToken(server, h.handle, h.ownerToken, ['tokens.write']);
    const res = await tokens(writer.auth).send({ name: 'escalate', scopes: [...SCOPES] }).expect(403);
    expect(res.body.error.code).to.equal('insufficient_scope');
    expect(res.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include(`/body/scopes/${SCOPES.indexOf('campaigns.read')}`);
    const one = await tokens(writer.auth).send({ name: 'escalate', scopes: ['campaigns.read'] }).expect(403);
    expect(one.body.error.message).to.include('campaigns.read');
    // What it holds, it may grant.
    const child = await tokens(writer.auth).send({ name: 'same', scopes: ['tokens.write'] }).expect(201);
    await server.http.get(`/v2/handles/${h.handle}/campaigns`).set({ Authorization: `Bearer ${child.body.token}` }).expect(403);
    const { rows } = await server.sql.query('select count(*)::int as n from access_tokens where handle = $1 and name = $2', [h.handle, 'escalate']);
    expect(rows[0].n).to.equal(0);
  });

  it('gives the child of an expiring token its parent expiry, and refuses a later one with 422 expiry_exceeds_token', async () => {
    const parentExpiry = inAnHour();
    const parent = await tokens(h.auth).send({ name: 'expiring', scopes: ['tokens.write', 'campaigns.read'], expiresAt: parentExpiry }).expect(201);
    const auth = { Authorization: `Bearer ${parent.body.token}` };
    const child = await tokens(auth).send({ name: 'child', scopes: ['campaigns.read'] }).expect(201);
    expect(new Date(child.body.expiresAt).getTime()).to.equal(new Date(parentExpiry).getTime());
    const later = await tokens(auth).send({ name: 'later', scopes: ['campaigns.read'], expiresAt: new Date(Date.now() + 7200_000).toISOString() }).expect(422);
    expect(later.body.error.code).to.equal('expiry_exceeds_token');
    expect(later.body.error.details[0].pointer).to.equal('/body/expiresAt');
    const sooner = new Date(Date.now() + 600_000).toISOString();
    const ok = await tokens(auth).send({ name: 'sooner', scopes: ['campaigns.read'], expiresAt: sooner }).expect(201);
    expect(new Date(ok.body.expiresAt).getTime()).to.equal(new Date(sooner).getTime());
    // The owner (never expiring) and the operator may still mint non-expiring tokens.
    expect((await tokens(h.auth).send({ name: 'forever', scopes: ['campaigns.read'] }).expect(201)).body.expiresAt).to.equal(null);
    expect((await tokens(server.admin()).send({ name: 'op', scopes: [...SCOPES] }).expect(201)).body.expiresAt).to.equal(null);
  });

  it('lets only a token holding every scope of the target revoke it; never the owner token (409)', async () => {
    const writer = await createToken(server, h.handle, h.ownerToken, ['tokens.write']);
    const reader = await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
    const broad = await createToken(server, h.handle, h.ownerToken, ['tokens.write', 'campaigns.read']);
    const byWriter = await server.http.delete(`/v2/handles/${h.handle}/tokens/${ownerId}`).set(writer.auth).expect(403);
    expect(byWriter.body.error.code).to.equal('insufficient_scope');
    await server.http.delete(`/v2/handles/${h.handle}/tokens/${reader.tokenId}`).set(writer.auth).expect(403);
    await server.http.get(`/v2/handles/${h.handle}/campaigns`).set(reader.auth).expect(200);
    await server.http.delete(`/v2/handles/${h.handle}/tokens/${reader.tokenId}`).set(broad.auth).expect(200);
    await server.http.get(`/v2/handles/${h.handle}/campaigns`).set(reader.auth).expect(401);
    for (const who of [h.auth, server.admin()]) {
      const res = await server.http.delete(`/v2/handles/${h.handle}/tokens/${ownerId}`).set(who).expect(409);
      expect(res.body.error.code).to.equal('conflict');
    }
    await server.http.get(`/v2/handles/${h.handle}/tokens/current`).set(h.auth).expect(200);
  });

  it('rotates the owner token: a new secret once, the old one 401 at once, the id and scopes kept', async () => {
    const other = await createHandle(server);
    const id = (await server.http.get(`/v2/handles/${other.handle}/tokens/current`).set(other.auth).expect(200)).body.tokenId;
    const everyScope = await createToken(server, other.handle, other.ownerToken, [...SCOPES]);
    const refused = await server.http.post(`/v2/handles/${other.handle}/tokens/${id}/rotate`).set(everyScope.auth).expect(403);
    expect(refused.body.error.code).to.equal('forbidden');
    const rotated = await server.http.post(`/v2/handles/${other.handle}/tokens/${id}/rotate`).set(other.auth).expect(200);
    expect(rotated.body).to.include({ tokenId: id, owner: true });
    expect(rotated.body.token).to.match(/^tenx_pat_/);
    await server.http.get(`/v2/handles/${other.handle}/campaigns`).set(other.auth).expect(401);
    const fresh = { Authorization: `Bearer ${rotated.body.token}` };
    expect((await server.http.get(`/v2/handles/${other.handle}/tokens/current`).set(fresh).expect(200)).body.scopes).to.have.members([...SCOPES]);
    // The operator can rotate it too (a lost owner token), and the audit log keeps who did.
    const byAdmin = await server.http.post(`/v2/handles/${other.handle}/tokens/${id}/rotate`).set(server.admin()).expect(200);
    await server.http.get(`/v2/handles/${other.handle}/campaigns`).set(fresh).expect(401);
    const audit = await server.http.get(`/v2/handles/${other.handle}/audit-events?type=token.rotated`).set({ Authorization: `Bearer ${byAdmin.body.token}` }).expect(200);
    expect(audit.body.data.map((e: { actor: string }) => e.actor)).to.deep.equal(['admin', id]);
  });

  it('rotates the owner token once when it asks many times at once: one new secret that works, the rest 401, never a deadlock', async () => {
    for (let round = 0; round < 3; round++) {
      const other = await createHandle(server);
      const id = (await server.http.get(`/v2/handles/${other.handle}/tokens/current`).set(other.auth).expect(200)).body.tokenId;
      const answers = await Promise.all(Array.from({ length: 6 }, () => server.http.post(`/v2/handles/${other.handle}/tokens/${id}/rotate`).set(other.auth)));
      expect(answers.map((a) => a.status).sort(), `round ${round}`).to.deep.equal([200, 401, 401, 401, 401, 401]);
      const won = answers.find((a) => a.status === 200)!;
      await server.http.get(`/v2/handles/${other.handle}/tokens/current`).set({ Authorization: `Bearer ${won.body.token}` }).expect(200);
      const { rows } = await server.sql.query(`select count(*)::int as n from audit_events where handle = $1 and type = 'token.rotated'`, [other.handle]);
      expect(rows[0].n).to.equal(1);
    }
  });

  it('rotates other tokens under the revoke rule, and refuses a revoked one (409)', async () => {
    const writer = await createToken(server, h.handle, h.ownerToken, ['tokens.write']);
    const reader = await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
    await server.http.post(`/v2/handles/${h.handle}/tokens/${reader.tokenId}/rotate`).set(writer.auth).expect(403);
    const self = await server.http.post(`/v2/handles/${h.handle}/tokens/${writer.tokenId}/rotate`).set(writer.auth).expect(200);
    await server.http.get(`/v2/handles/${h.handle}/tokens/current`).set(writer.auth).expect(401);
    await server.http.get(`/v2/handles/${h.handle}/tokens/current`).set({ Authorization: `Bearer ${self.body.token}` }).expect(200);
    await server.http.delete(`/v2/handles/${h.handle}/tokens/${reader.tokenId}`).set(h.auth).expect(200);
    await server.http.post(`/v2/handles/${h.handle}/tokens/${reader.tokenId}/rotate`).set(h.auth).expect(409);
  });

  it('refuses an expiring token rotating a token that outlives it (403): it would hold a secret it could not mint', async () => {
    const parentExpiry = inAnHour();
    const expiring = await tokens(h.auth).send({ name: 'expiring-rotator', scopes: ['tokens.write', 'campaigns.read'], expiresAt: parentExpiry }).expect(201);
    const auth = { Authorization: `Bearer ${expiring.body.token}` };
    const forever = await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
    const later = (await tokens(h.auth).send({ name: 'later', scopes: ['campaigns.read'], expiresAt: new Date(Date.now() + 7200_000).toISOString() }).expect(201)).body;
    for (const target of [forever.tokenId, later.tokenId]) {
      const res = await server.http.post(`/v2/handles/${h.handle}/tokens/${target}/rotate`).set(auth).expect(403);
      expect(res.body.error.code).to.equal('forbidden');
      expect(res.body.token).to.equal(undefined);
    }
    // The targets keep their secrets.
    await server.http.get(`/v2/handles/${h.handle}/campaigns`).set(forever.auth).expect(200);
    // One that expires no later than the caller (or the caller itself) it may rotate.
    const sooner = (await tokens(auth).send({ name: 'sooner', scopes: ['campaigns.read'] }).expect(201)).body;
    await server.http.post(`/v2/handles/${h.handle}/tokens/${sooner.tokenId}/rotate`).set(auth).expect(200);
    const self = await server.http.post(`/v2/handles/${h.handle}/tokens/${expiring.body.tokenId}/rotate`).set(auth).expect(200);
    expect(new Date(self.body.expiresAt).getTime()).to.equal(new Date(parentExpiry).getTime());
  });

  it('writes token.created and token.revoked audit rows in the same transaction as the token', async () => {
    const t = await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
    await server.http.delete(`/v2/handles/${h.handle}/tokens/${t.tokenId}`).set(h.auth).expect(200);
    const { rows } = await server.sql.query(
      `select a.type, a.created_at = k.created_at as same_tx from audit_events a join access_tokens k on k.token_id = a.subject_id::uuid
        where a.subject_id = $1 order by a.created_at`, [t.tokenId]);
    expect(rows.map((r) => r.type)).to.deep.equal(['token.created', 'token.revoked']);
    // now() is the transaction's start: the created row and its audit row share it.
    expect(rows[0].same_tx).to.equal(true);
  });

  it('reads the audit log with audit.read only: analytics.read no longer does (contract v2.1)', async () => {
    const analytics = await createToken(server, h.handle, h.ownerToken, ['analytics.read']);
    const audit = await createToken(server, h.handle, h.ownerToken, ['audit.read']);
    const res = await server.http.get(`/v2/handles/${h.handle}/audit-events`).set(analytics.auth).expect(403);
    expect(res.body.error.code).to.equal('insufficient_scope');
    await server.http.get(`/v2/handles/${h.handle}/audit-events`).set(audit.auth).expect(200);
  });
});

// The merchant's token on the public conversions route: optional, but when sent it must
// be a valid token of the ctx's handle (else 401, the same answer for another handle's) with conversions.write (else 403).
describe('auth matrix: merchant tokens on POST /v2/public/conversions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('answers 401 to forged, revoked and foreign tokens, 403 without conversions.write, 201 with it', async () => {
    const target = await partnerCampaign(server);
    const foreign = await partnerCampaign(server);
    const others = SCOPES.filter((s) => s !== 'conversions.write');
    const lacking = await createToken(server, target.handle, target.ownerToken, others);
    const revoked = await createToken(server, target.handle, target.ownerToken, ['conversions.write']);
    await server.http.delete(`/v2/handles/${target.handle}/tokens/${revoked.tokenId}`).set(target.auth).expect(200);
    const { ctx } = await storedClick(server, target.handle, target.campaignId);
    const body = (key: string) => ({ ctx, eventType: 'sale', idempotencyKey: key });
    const cases: [string, Record<string, string>, number, string][] = [
      ['forged', { Authorization: 'Bearer tenx_pat_forged' }, 401, 'unauthorized'],
      ['malformed', { Authorization: 'Token abc' }, 401, 'unauthorized'],
      ['revoked', revoked.auth, 401, 'unauthorized'],
      ['foreign handle', foreign.auth, 401, 'unauthorized'],
      ['lacking conversions.write', lacking.auth, 403, 'insufficient_scope'],
    ];
    for (const [what, headers, status, code] of cases) {
      const res = await server.http.post(CONVERSIONS).set(headers).send(body(what));
      expect(res.status, what).to.equal(status);
      expect(res.body.error.code, what).to.equal(code);
    }
    const ok = await server.http.post(CONVERSIONS).set(target.auth).send(body('owner')).expect(201);
    expect(ok.body.authenticated).to.equal(true);
    const admin = await server.http.post(CONVERSIONS).set(server.admin()).send(body('admin')).expect(201);
    expect(admin.body.authenticated, "the operator's admin token holds every scope").to.equal(true);
  });
});
