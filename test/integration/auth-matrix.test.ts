import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { PARTNER_SCOPES, SCOPES, type RouteDef } from '../../core/http/route.ts';
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
    own = await partnerToken(server, target, 'own');
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
