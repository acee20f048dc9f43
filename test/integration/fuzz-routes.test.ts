import { expect } from 'chai';
import fc from 'fast-check';
import type { RouteDef } from '../../core/http/route.ts';
import { partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Property: whatever arrives on any route of the route table (path segments, query strings and JSON
// bodies built from the route's own field names with arbitrary values), the answer is never a 5xx.
// The route table is read at run time, so routes added later are fuzzed too.

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 40);

/** Text a client could put anywhere: any code points (not lone surrogates: URLs cannot carry them), controls and NUL included. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.constantFrom('', '0', '-1', '1e309', 'null', 'true', '[]', '{}', '%00', '\u0000', 'x'.repeat(600), '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '../..', 'ACTIVE'),
);
const jsonish = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: text, weight: 3 },
  { arbitrary: fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, [], {}, ['x'], { a: 1 }), weight: 2 },
  // Strings JSON can carry but URLs cannot: lone surrogates.
  { arbitrary: fc.constantFrom('\ud800', 'a\udc00b'), weight: 1 },
);

const propertiesOf = (schema: unknown): string[] => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {});

/** An object over the schema's own field names (some dropped, some unknown added) with arbitrary values. */
const objectFor = (schema: unknown) =>
  fc.dictionary(fc.oneof({ arbitrary: fc.constantFrom(...propertiesOf(schema), 'unknownField'), weight: 5 }, { arbitrary: text, weight: 1 }), jsonish, { maxKeys: 6 });

describe('fuzz: no route answers 5xx, whatever the path, query or body', function () {
  this.timeout(180_000);
  let server: TestServer;
  let partner: Awaited<ReturnType<typeof partnerCampaign>>;
  let routes: RouteDef[];
  let realmAuth: Record<string, string>;

  before(async () => {
    server = await startTestServer();
    partner = await partnerCampaign(server);
    // The partner realm takes only partner tokens: one of the campaign's partner, so requests get in.
    await createPartner(server, partner, 'fuzz-partner');
    await assignPartner(server, partner, partner.campaignId, 'fuzz-partner');
    realmAuth = (await partnerToken(server, partner, 'fuzz-partner', { scopes: ['partner.read', 'partner.postbacks.write'] })).auth;
    routes = server.kernel.container.resolve<RouteDef[]>('routeTable');
  });
  after(async () => server?.close());

  it(`survives ${RUNS_PER_ROUTE} random requests on every route`, async () => {
    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    // A stream that opens never ends by itself: it is fuzzed by its own tests, not here.
    const finite = routes.filter((r) => !Object.values(r.responses ?? {}).some((x) => x.contentType === 'text/event-stream'));
    for (const route of finite) {
      const segments = route.path.match(/\{\w+\}/g) ?? [];
      const input = fc.record({
        // The handle stays real most of the time, so requests get past auth into the route itself.
        params: fc.tuple(...segments.map((s) => (s === '{handle}' ? fc.oneof({ arbitrary: fc.constant(partner.handle), weight: 4 }, { arbitrary: text, weight: 1 }) : text))),
        query: objectFor(route.query),
        body: fc.oneof({ arbitrary: objectFor(route.body), weight: 4 }, { arbitrary: jsonish, weight: 1 }),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ params, query, body }) => {
          let i = 0;
          const path = route.path.replace(/\{\w+\}/g, () => encodeURIComponent(String(params[i++])) || 'x');
          const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? ''])).toString();
          const realm = typeof route.auth === 'object' && 'partner' in route.auth;
          const auth = route.auth === 'admin' ? server.admin() : route.auth === 'public' ? {} : realm ? realmAuth : partner.auth;
          let req = server.http[route.method.toLowerCase() as 'get'](`${path}${qs ? `?${qs}` : ''}`).set(auth).timeout(10_000);
          if (route.method !== 'GET' && route.method !== 'DELETE') req = req.set('content-type', 'application/json').send(JSON.stringify(body) ?? 'null');
          const res = await req.buffer(true).ok(() => true);
          const family = `${Math.floor(res.status / 100)}xx`;
          statuses[family] = (statuses[family] ?? 0) + 1;
          if (res.status >= 500) failures.push(`${route.method} ${path}?${qs} ${JSON.stringify(body)?.slice(0, 300)} → ${res.status} ${res.text?.slice(0, 200)}`);
          return res.status < 500;
        }),
        { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      ).catch((err: Error) => {
        // A 5xx is already listed; anything else thrown (a timeout, a reset) is a failure too.
        if (!failures.some((f) => f.startsWith(`${route.method} `))) failures.push(`${route.method} ${route.path}: ${err.message.slice(0, 500)}`);
      });
    }
    if (process.env.FUZZ_VERBOSE) console.log(statuses);
    expect(failures, failures.join('\n')).to.deep.equal([]);
    // The inputs must reach the routes, not only bounce off validation.
    expect(statuses['2xx'] ?? 0, JSON.stringify(statuses)).to.be.above(finite.length);
  });
});
