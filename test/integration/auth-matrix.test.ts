import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { SCOPES, type RouteDef } from '../../core/http/route.ts';
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
