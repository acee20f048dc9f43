import { expect } from 'chai';
import { buildOpenApi } from '../../core/http/openapi.ts';
import type { RouteDef } from '../../core/http/route.ts';

const handler = async () => {};
const route = (def: Partial<RouteDef> & Pick<RouteDef, 'method' | 'path' | 'auth'>): RouteDef => ({ summary: 's', handler, ...def });
type Op = { operationId: string; parameters: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: object }>; 'x-scope'?: string };
const op = (routes: RouteDef[], path: string, method = 'get') => (buildOpenApi(routes, 'http://x').paths[path][method] as Op);

/** What every route gets from core/http/openapi.ts without declaring it (issue 16). */
describe('OpenAPI generation from the route table', () => {
  it('derives a unique operationId from method and path, unless the route names one', () => {
    const routes = [
      route({ method: 'GET', path: '/v2/handles/{handle}/audit-events', auth: 'public' }),
      route({ method: 'POST', path: '/v2/handles/{handle}/webhooks/{webhookId}/rotate-secret', auth: 'public' }),
      route({ method: 'GET', path: '/v2/openapi.json', auth: 'public', operationId: 'getOpenApi' }),
    ];
    expect(op(routes, '/v2/handles/{handle}/audit-events').operationId).to.equal('getHandlesByHandleAuditEvents');
    expect(op(routes, '/v2/handles/{handle}/webhooks/{webhookId}/rotate-secret', 'post').operationId).to.equal('postHandlesByHandleWebhooksByWebhookIdRotateSecret');
    expect(op(routes, '/v2/openapi.json').operationId).to.equal('getOpenApi');
    expect(() => buildOpenApi([...routes, route({ method: 'GET', path: '/x', auth: 'public', operationId: 'getOpenApi' })], 'http://x')).to.throw(/share the operationId/);
  });

  it("documents a GET's own HEAD (same statuses, no bodies) and a public route that also reads a bearer token (a black-box pass)", () => {
    const routes = [
      route({ method: 'GET', path: '/{handle}/{slug}', auth: 'public', head: 'No click', responses: { 404: { description: 'html', contentType: 'text/html', schema: { type: 'string' } } } }),
      route({ method: 'POST', path: '/v2/public/conversions', auth: 'public', bearerOptional: true }),
      route({ method: 'GET', path: '/healthz', auth: 'public' }),
    ];
    const doc = buildOpenApi(routes, 'http://x');
    const head = doc.paths['/{handle}/{slug}'].head as Op & { summary: string; security: unknown };
    expect(head).to.include({ operationId: 'getByHandleBySlugHead', summary: 'No click' });
    expect(Object.keys(head.responses)).to.deep.equal(Object.keys(op(routes, '/{handle}/{slug}').responses));
    expect(head.responses[404]).to.not.have.property('content');
    expect(op(routes, '/{handle}/{slug}').responses[404]).to.have.property('content');
    expect((doc.paths['/v2/public/conversions'].post as { security: unknown }).security).to.deep.equal([{}, { bearer: [] }]);
    expect((doc.paths['/healthz'].get as { security: unknown }).security).to.deep.equal([]);
    expect(doc.paths['/healthz']).to.not.have.property('head');
  });

  it('declares every path parameter, also those the route does not validate', () => {
    const params = op([route({ method: 'GET', path: '/{handle}/{slug}', auth: 'public' })], '/{handle}/{slug}').parameters;
    expect(params.map((p) => `${p.in}:${p.name}`)).to.deep.equal(['path:handle', 'path:slug']);
  });

  it('declares the statuses the auth kind, the path and the schemas imply, with the Error body', () => {
    const body = { type: 'object' };
    const scoped = op([route({ method: 'POST', path: '/v2/handles/{handle}/things', auth: { scope: 'campaigns.write' }, body })], '/v2/handles/{handle}/things', 'post');
    expect(Object.keys(scoped.responses)).to.deep.equal(['200', '400', '401', '403', '404', '413', '415', '503']);
    expect(scoped.responses[403].content!['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/Error' });
    expect(scoped.responses[503].headers).to.have.property('Retry-After');
    expect(scoped['x-scope']).to.equal('campaigns.write');
    const open = op([route({ method: 'GET', path: '/healthz', auth: 'public' })], '/healthz');
    expect(Object.keys(open.responses)).to.deep.equal(['200']);
  });

  it('handles an auth kind it does not know (a realm scope) like any token route', () => {
    const auth = { partner: 'partner.read' } as unknown as RouteDef['auth'];
    const realm = op([route({ method: 'GET', path: '/v2/handles/{handle}/partner/funnel', auth })], '/v2/handles/{handle}/partner/funnel');
    expect(Object.keys(realm.responses)).to.include.members(['401', '403', '404', '503']);
    expect(realm['x-scope']).to.equal('partner.read');
  });

  it('turns titled schemas into components, and refuses two different schemas under one title', () => {
    const item = { title: 'Thing', type: 'object', properties: { id: { type: 'string' } } };
    const doc = buildOpenApi([route({ method: 'GET', path: '/things', auth: 'public', responses: { 200: { description: 'ok', schema: { title: 'ThingPage', type: 'object', properties: { data: { type: 'array', items: item } } } } } })], 'http://x');
    expect(doc.components.schemas).to.have.keys('Error', 'Thing', 'ThingPage');
    expect((doc.components.schemas as Record<string, { properties: { data: { items: object } } }>).ThingPage.properties.data.items).to.deep.equal({ $ref: '#/components/schemas/Thing' });
    const other = { title: 'Thing', type: 'string' };
    expect(() => buildOpenApi([
      route({ method: 'GET', path: '/a', auth: 'public', responses: { 200: { description: 'a', schema: item } } }),
      route({ method: 'GET', path: '/b', auth: 'public', responses: { 200: { description: 'b', schema: other } } }),
    ], 'http://x')).to.throw(/two different schemas are titled "Thing"/);
  });
});
