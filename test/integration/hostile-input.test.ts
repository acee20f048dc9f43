import { expect } from 'chai';
import { CONVERSIONS, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

type Res = { status: number; body: { error?: { code: string; details?: { pointer: string; message: string }[] } } };
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A 400 invalid_request whose details name `pointer` (never a 500 from the database). */
function expectInvalid(res: Res, pointer: string, what: string) {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(400);
  expect(res.body.error!.code, what).to.equal('invalid_request');
  expect(res.body.error!.details!.map((d) => d.pointer), what).to.include(pointer);
}

// Input JSON and URLs can carry but PostgreSQL cannot store or compare, found by a black-box audit
// of the contract: each used to answer 500. Every one must be a 4xx in the contract's shape.
describe('hostile input the database cannot take is a 400, not a 500', () => {
  let server: TestServer;
  let partner: Awaited<ReturnType<typeof partnerCampaign>>;
  let base: string;

  before(async () => {
    server = await startTestServer();
    partner = await partnerCampaign(server);
    base = `/v2/handles/${partner.handle}`;
  });
  after(async () => server?.close());

  it('refuses U+0000 in body strings and keys on every kind of write, and writes nothing', async () => {
    const before = await count(server, 'audit_events');
    const cases: [string, () => Promise<Res>, string][] = [
      ['handle name', () => server.http.post('/v2/handles').set(server.admin()).send({ handle: 'nul-name', name: 'n\u0000' }), '/body/name'],
      ['token name', () => server.http.post(`${base}/tokens`).set(partner.auth).send({ name: 'n\u0000', scopes: ['campaigns.read'] }), '/body/name'],
      ['campaign title', () => server.http.post(`${base}/campaigns`).set(partner.auth).send({
        campaignId: 'nul-title', goalType: 'AFFILIATE_CLICKOUT', primaryLink: { slug: 'nul-title', destinationUrl: 'https://m.example.com/', title: 'a\u0000b' },
      }), '/body/primaryLink/title'],
      ['campaign patch', () => server.http.patch(`${base}/campaigns/${partner.campaignId}`).set(partner.auth).send({ title: '\u0000' }), '/body/title'],
      ['plugin settings key', () => server.http.put(`${base}/plugins/partner_segment`).set(partner.auth).send({ enabled: false, settings: { bySource: { 'x\u0000': 'y' } } }), '/body/settings/bySource/x\u0000'],
    ];
    for (const [what, send, pointer] of cases) expectInvalid(await send(), pointer, what);
    expect(await count(server, 'tenants where handle = $1', ['nul-name'])).to.equal(0);
    expect(await count(server, 'campaigns where campaign_id = $1', ['nul-title'])).to.equal(0);
    expect(await count(server, 'audit_events')).to.equal(before);
  });

  it('refuses lone UTF-16 surrogates, which are not valid UTF-8', async () => {
    const { ctx } = await storedClick(server, partner.handle, partner.campaignId);
    const cases: [string, () => Promise<Res>, string][] = [
      ['conversion metadata', () => server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'surrogate-1', metadata: { s: '\ud800' } }), '/body/metadata/s'],
      ['campaign patch', () => server.http.patch(`${base}/campaigns/${partner.campaignId}`).set(partner.auth).send({ title: 'x\udc00' }), '/body/title'],
      ['token name', () => server.http.post(`${base}/tokens`).set(partner.auth).send({ name: 'a\ud800', scopes: ['campaigns.read'] }), '/body/name'],
    ];
    for (const [what, send, pointer] of cases) expectInvalid(await send(), pointer, what);
    expect(await count(server, 'conversions where idempotency_key = $1', ['surrogate-1'])).to.equal(0);
    // A well-formed pair (an emoji) is fine.
    const ok = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'surrogate-2', metadata: { s: '😀' } });
    expect(ok.status).to.equal(201);
  });

  it('refuses a body that is not valid UTF-8 instead of turning its bytes into U+FFFD (two keys would become one)', async () => {
    const { ctx } = await storedClick(server, partner.handle, partner.campaignId);
    // Raw bytes (fetch sends a Uint8Array as it is; supertest would serialize a Buffer as JSON).
    const post = async (bytes: string, bom = '') => {
      const body = Buffer.from(`${bom}{"ctx":"${ctx}","eventType":"affiliate_click","idempotencyKey":"utf8-${bytes}"}`, 'latin1');
      const res = await fetch(`${server.url}${CONVERSIONS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, body: await res.json() };
    };
    for (const bytes of ['\xff', '\xfe', '\xc3\x28']) {
      const res = await post(bytes);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.error).to.deep.equal({ code: 'invalid_request', message: 'The request body is not valid UTF-8.' });
    }
    expect(await count(server, "conversions where idempotency_key like 'utf8-%'")).to.equal(0);
    // Valid UTF-8 (é), with or without a byte order mark, still reads.
    expect((await post('\xc3\xa9')).status).to.equal(201);
    expect((await post('bom', '\xef\xbb\xbf')).status).to.equal(201);
    expect(await count(server, "conversions where idempotency_key in ('utf8-é', 'utf8-bom')")).to.equal(2);
  });

  it('refuses metadata nested 10,000 levels deep (under 64 KiB) without overflowing the stack', async () => {
    const { ctx } = await storedClick(server, partner.handle, partner.campaignId);
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const res = await server.http.post(CONVERSIONS).set('content-type', 'application/json')
      .send(`{"ctx":"${ctx}","eventType":"affiliate_click","idempotencyKey":"deep-1","metadata":${deep}}`);
    expect(res.status).to.equal(400);
    expect(res.body.error.details[0].message).to.match(/nest/);
    expect(await count(server, 'conversions where idempotency_key = $1', ['deep-1'])).to.equal(0);
  });

  it('refuses a number beyond a double (1e400), which would be stored as null, in metadata and in a typed field', async () => {
    const { ctx } = await storedClick(server, partner.handle, partner.campaignId);
    const post = (key: string, rest: string) => server.http.post(CONVERSIONS).set('content-type', 'application/json')
      .send(`{"ctx":"${ctx}","eventType":"affiliate_click","idempotencyKey":"${key}",${rest}}`);
    for (const [key, rest, pointer] of [['huge-1', '"metadata":{"n":[1,1e400]}', '/body/metadata/n/1'], ['huge-2', '"value":-1e400', '/body/value']]) {
      const res = await post(key, rest);
      expect(res.status, key).to.equal(400);
      expect(res.body.error.details[0], key).to.include({ pointer });
      expect(await count(server, 'conversions where idempotency_key = $1', [key])).to.equal(0);
    }
    expect((await post('huge-3', '"metadata":{"n":1.7e308}')).status).to.equal(201);
  });

  it('answers any string that is not a ctx token with 422 invalid_ctx, whatever its length', async () => {
    for (const ctx of ['', 'x', 'A'.repeat(600), 'not a token at all']) {
      const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'bad-ctx' });
      expect(res.status, JSON.stringify(ctx.slice(0, 20))).to.equal(422);
      expect(res.body.error.code).to.equal('invalid_ctx');
    }
  });

  it('refuses U+0000 in query strings (audit filters)', async () => {
    for (const q of ['type=%00', 'campaignId=%00']) {
      expectInvalid(await server.http.get(`${base}/audit-events?${q}`).set(partner.auth), `/query/${q.split('=')[0]}`, q);
    }
  });

  it('refuses forged cursors whose entries have the wrong types for their list', async () => {
    const lists = ['webhooks', 'notifications', 'audit-events', 'tokens', 'campaigns'];
    const forged = [b64([1, 2]), b64(['x']), b64(['2026-01-01T00:00:00.000000Z', 'not-a-uuid']), b64(['0000-01-01T00:00:00Z', '0194f0a4-1234-7abc-8def-0123456789ab']), b64([{}]),
      // Dates Date.parse rolls over but PostgreSQL refuses.
      b64(['2025-02-30T00:00:00Z', '0194f0a4-1234-7abc-8def-0123456789ab']), b64(['2025-04-01T24:00:00Z', '0194f0a4-1234-7abc-8def-0123456789ab'])];
    for (const list of lists) {
      // Campaign cursors are campaign ids (text): ["x"] is a well-formed one there.
      for (const entries of forged.filter((c) => list !== 'campaigns' || c !== b64(['x']))) {
        // Tagged with the list's own name and handle, as its cursors are: only the entries are wrong.
        const cursor = b64([list, partner.handle, ...JSON.parse(Buffer.from(entries, 'base64url').toString())]);
        const res = await server.http.get(`${base}/${list}?cursor=${cursor}`).set(partner.auth);
        expect(res.status, `${list} ${Buffer.from(cursor, 'base64url').toString()}: ${res.status}`).to.equal(400);
        expect(res.body.error.code).to.equal('invalid_request');
      }
    }
  });

  it('refuses a cursor from another list, even one of the same shape, instead of positioning this list with it', async () => {
    const audit = await server.http.get(`${base}/audit-events?limit=1`).set(partner.auth).expect(200);
    expect(audit.body.nextCursor).to.be.a('string');
    await server.http.get(`${base}/audit-events?limit=1&cursor=${audit.body.nextCursor}`).set(partner.auth).expect(200);
    // Notifications and webhooks page by (time, id) too.
    for (const list of ['notifications', 'webhooks']) {
      const res = await server.http.get(`${base}/${list}?cursor=${audit.body.nextCursor}`).set(partner.auth);
      expect(res.status, list).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_request' });
      expect(res.body.error.details[0]).to.deep.equal({ pointer: '/query/cursor', message: `is not a cursor from this list (${list})` });
    }
    // Partners and campaigns page by a text id: the campaigns' tag is refused by partners, their own accepted.
    expect((await server.http.get(`${base}/partners?cursor=${b64(['campaigns', partner.handle, 'a'])}`).set(partner.auth)).status).to.equal(400);
    await server.http.get(`${base}/partners?cursor=${b64(['partners', partner.handle, 'a'])}`).set(partner.auth).expect(200);
  });

  it('refuses window bounds outside the years 1970-9998 instead of overflowing timestamptz', async () => {
    const paths = [
      'analytics?funnel=true&from=9999-12-31T23:59:59Z', 'analytics?funnel=true&to=9999-12-31T23:59:59Z',
      'analytics?groupBy=day&from=0000-01-01T00:00:00Z', 'analytics/export?format=ndjson&to=9999-12-31T23:59:59Z',
      'analytics/export?format=csv&to=9999-12-31T23:59:59Z', 'audit-events?to=0000-01-01T00:00:00Z', 'notifications?from=0000-01-01T00:00:00Z',
    ];
    for (const path of paths) {
      const res = await server.http.get(`${base}/${path}`).set(partner.auth);
      expect(res.status, `${path}: ${res.status} ${res.text.slice(0, 200)}`).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_request');
    }
    // The far future still works where it cannot overflow.
    const res = await server.http.get(`${base}/analytics?funnel=true&from=2020-01-01T00:00:00Z&to=9998-12-31T22:00:00Z`).set(partner.auth);
    expect(res.status).to.equal(200);
  });

  it('refuses a leap second (23:59:60, valid RFC 3339 that Date cannot parse) in window bounds instead of a 500', async () => {
    await createPartner(server, partner, 'leap');
    const realm = await partnerToken(server, partner, 'leap');
    const queries = [
      'analytics?groupBy=hour&from=2026-11-30T23:59:60Z', 'analytics?groupBy=os&from=2026-12-31T23:59:60Z',
      'analytics?groupBy=browser&to=2026-06-30T23:59:60.5Z', 'analytics?funnel=true&to=2026-06-30T22:59:60-01:00',
      'analytics/export?format=csv&from=2026-11-30T23:59:60Z', 'analytics/export?format=ndjson&to=2026-11-30T23:59:60Z',
    ];
    for (const q of queries) {
      const bound = `/query/${q.includes('from=') ? 'from' : 'to'}`;
      expectInvalid(await server.http.get(`${base}/${q}`).set(partner.auth), bound, q);
      expectInvalid(await server.http.get(`${base}/partner/${q}`).set(realm.auth), bound, `partner/${q}`);
    }
  });

  it('answers the admin token on a path whose handle is not a handle with 404, like a PAT', async () => {
    for (const handle of ['%00', 'UPPER', 'a', 'x%00y']) {
      const res = await server.http.get(`/v2/handles/${handle}/campaigns`).set({ Authorization: `Bearer ${ADMIN_TOKEN}` });
      expect(res.status, handle).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
    }
  });
});
