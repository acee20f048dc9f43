import { expect } from 'chai';
import Koa from 'koa';
import request from 'supertest';
import { aliasTo, asFunction, asValue, createContainer, InjectionMode } from 'awilix';
import { buildRouter } from '../../core/http/router.ts';
import { defineRoutes } from '../../core/http/route.ts';

// A route with `requestScope: false` gets singletons without a per-request scope, and nothing else.
describe('routes without a request scope', () => {
  const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
  let built = 0;
  container.register({
    orm: asValue({}), pg: asValue({ name: 'the pool' }), config: asValue({ adminToken: 'x'.repeat(32) }),
    counter: asFunction(() => ({ n: 0, id: ++built })).singleton(),
    perRequest: asFunction(() => ({ id: ++built })).scoped(),
    perResolve: asFunction(() => ({ id: ++built })).transient(),
    alias: aliasTo('perRequest'),
  });
  const routes = defineRoutes([
    {
      method: 'GET', path: '/singleton', summary: 'reads a singleton', auth: 'public', requestScope: false,
      async handler(ctx, { counter }) {
        ctx.body = { n: ++counter.n, id: counter.id };
      },
    },
    {
      method: 'GET', path: '/scoped', summary: 'reads a scoped service', auth: 'public', requestScope: false,
      async handler(ctx, { perRequest }) {
        ctx.body = { id: perRequest.id };
      },
    },
    {
      method: 'GET', path: '/value', summary: 'reads a value registered on the root', auth: 'public', requestScope: false,
      async handler(ctx, { pg }) {
        ctx.body = { pg };
      },
    },
    {
      method: 'GET', path: '/transient', summary: 'reads a transient service', auth: 'public', requestScope: false,
      async handler(ctx, { perResolve }) {
        ctx.body = { id: perResolve.id };
      },
    },
    {
      method: 'GET', path: '/alias', summary: 'reads an alias of a scoped service', auth: 'public', requestScope: false,
      async handler(ctx, { alias }) {
        ctx.body = { id: alias.id };
      },
    },
    {
      method: 'GET', path: '/principal', summary: 'reads the principal', auth: 'public', requestScope: false,
      async handler(ctx, { principal }) {
        ctx.body = { principal };
      },
    },
  ]);
  const app = new Koa();
  app.silent = true;
  app.use(buildRouter(routes, container).routes());
  const http = request(app.callback());

  it('resolves the same singleton on every request', async () => {
    const a = await http.get('/singleton').expect(200);
    const b = await http.get('/singleton').expect(200);
    expect([a.body.n, b.body.n]).to.deep.equal([1, 2]);
    expect(a.body.id).to.equal(b.body.id);
  });

  it('reads a value registered on the root container (one for every request, like a singleton)', async () => {
    expect((await http.get('/value').expect(200)).body).to.deep.equal({ pg: { name: 'the pool' } });
  });

  it('refuses a scoped or transient service, an alias, or the principal (they would be shared between requests)', async () => {
    await http.get('/scoped').expect(500);
    await http.get('/transient').expect(500);
    await http.get('/alias').expect(500);
    await http.get('/principal').expect(500);
    expect((container.cradle as { counter: { id: number } }).counter.id).to.equal(1); // the scoped factory never ran
    expect(built).to.equal(1);
  });
});
