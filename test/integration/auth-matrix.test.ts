import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { SCOPES, type RouteDef } from '../../core/http/route.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

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

  before(async () => {
    server = await startTestServer();
    routes = server.kernel.container.resolve<RouteDef[]>('routeTable');
    target = await createHandle(server);
    foreign = await createHandle(server);
    for (const scope of SCOPES) {
      const others = SCOPES.filter((s) => s !== scope);
      wrongScope.set(scope, (await createToken(server, target.handle, target.ownerToken, others)).token);
    }
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
      const scope = (route.auth as { scope: string }).scope;
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
});

// The merchant's token on the public conversions route (API.md v2.1): optional, but when sent it must
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
