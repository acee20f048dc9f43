import { expect } from 'chai';
import type { RouteDef } from '../../core/http/route.ts';
import type { JsonSchema } from '../../core/plugins/index.ts';
import { compile } from '../../core/http/validate.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// core/http/router.ts compiles a route's schemas on its first request (start-up CPU): a schema ajv
// cannot compile must still fail here, not as a 500 on that route's first request.
describe('route schemas', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => (server = await startTestServer()));
  after(() => server?.close());

  it('compile, for every route of the running server (params, query, body)', () => {
    const routes = server.kernel.container.resolve<RouteDef[]>('routeTable');
    expect(routes.length).to.be.greaterThan(50);
    let compiled = 0;
    for (const def of routes) {
      const schemas: Array<[JsonSchema | undefined, boolean]> = [[def.params, true], [def.query && { type: 'object', additionalProperties: false, ...def.query }, true], [def.body, false]];
      for (const [schema, coerce] of schemas) {
        if (!schema) continue;
        expect(() => compile(schema, coerce), `${def.method} ${def.path}`).to.not.throw();
        compiled++;
      }
    }
    expect(compiled).to.be.greaterThan(50);
  });
});
