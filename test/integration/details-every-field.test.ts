import { expect } from 'chai';
import { CONVERSIONS, clickThrough, partnerCampaign } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { trustLocalProxy } from '../support/redirect.ts';

type Res = { status: number; body: { error: { code: string; details?: { pointer: string; message: string }[] } } };
const pointers = (res: Res) => (res.body.error.details ?? []).map((d) => d.pointer);
const detail = (res: Res, pointer: string) => res.body.error.details?.find((d) => d.pointer === pointer);
const PAST = '2020-01-01T00:00:00Z';

// API.md, Conventions: "`details` lists each failing field by JSON pointer". A route's checks beyond its JSON schema (money's
// cents, a past expiry, a plugin's settings, a postback's macros) used to run only once the schema passed: a body with
// two faults named one, and the other only after the client fixed the first. Each case here fails against that code.
describe('400 details list every failing field: the schema\'s and the route\'s own checks in one answer', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  before(async () => {
    server = await startTestServer({ env: trustLocalProxy });
    h = await partnerCampaign(server);
    await createPartner(server, h, 'anna');
  });
  after(async () => server?.close());

  const expect400 = (res: Res, expected: string[]) => {
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_request');
    expect(pointers(res)).to.have.members(expected);
  };

  it('a public conversion: a missing eventType with a value of more than cents and metadata over its size', async () => {
    const ctx = await clickThrough(server, h.handle, h.slug);
    const res = await server.http.post(CONVERSIONS).send({ ctx, idempotencyKey: 'k-1', value: 10.005, currency: 'EUR', metadata: { note: 'x'.repeat(5000) } });
    expect400(res, ['/body/eventType', '/body/value', '/body/metadata']);
    expect(detail(res, '/body/value')?.message).to.equal('must have at most 2 fraction digits');
    const { rows } = await server.sql.query('select count(*)::int as n from conversions where handle = $1', [h.handle]);
    expect(rows[0].n, 'nothing recorded').to.equal(0);
  });

  it('a reversal: an unknown reason with an amount of more than cents', async () => {
    const res = await server.http.post(`/v2/handles/${h.handle}/conversions/reversals`).set(h.auth).send({ idempotencyKey: 'k-1', reversalKey: 'r-1', amount: 1.001, reason: 'whim' });
    expect400(res, ['/body/reason', '/body/amount']);
  });

  it('a token: an unknown scope with a past expiry (handle tokens and partner tokens)', async () => {
    const pat = await server.http.post(`/v2/handles/${h.handle}/tokens`).set(h.auth).send({ name: 'ci', scopes: ['campaigns.read', 'root'], expiresAt: PAST });
    expect400(pat, ['/body/scopes/1', '/body/expiresAt']);
    const ptk = await server.http.post(`/v2/handles/${h.handle}/partners/anna/tokens`).set(h.auth).send({ name: 'portal', scopes: ['partner.admin'], expiresAt: PAST });
    expect400(ptk, ['/body/scopes/0', '/body/expiresAt']);
  });

  it('a plugin: a malformed enabled with settings its schema refuses', async () => {
    const res = await server.http.put(`/v2/handles/${h.handle}/plugins/burst`).set(h.auth).send({ enabled: 'yes', settings: { maxClicksPerMinute: 0 } });
    expect400(res, ['/body/enabled', '/body/settings/maxClicksPerMinute']);
    // An unknown plugin is still the 404 its handler answers once the body is right, never a settings detail.
    const unknown = await server.http.put(`/v2/handles/${h.handle}/plugins/no-such`).set(h.auth).send({ enabled: 'yes', settings: { a: 1 } });
    expect400(unknown, ['/body/enabled']);
  });

  it("a partner's postback: an unknown event with an unknown macro", async () => {
    const { auth } = await partnerToken(server, h, 'anna', { scopes: ['partner.read', 'partner.postbacks.write'] });
    const res = await server.http.post(`/v2/handles/${h.handle}/partner/postbacks`).set(auth).send({ urlTemplate: 'https://tracker.example/pb?c={clik_id}', events: ['sale.done'] });
    expect400(res, ['/body/events/0', '/body/urlTemplate']);
    expect(detail(res, '/body/urlTemplate')).to.deep.equal({ pointer: '/body/urlTemplate', message: 'unknown macro {clik_id}' });
  });

  it('a field of the wrong type is named once, by the schema, and not judged further', async () => {
    const res = await server.http.post(`/v2/handles/${h.handle}/partners`).set(h.auth).send({ partnerId: 'Bad_Id', name: 'x', minimumPayout: '10.005' });
    expect400(res, ['/body/partnerId', '/body/minimumPayout']);
    expect(pointers(res)).to.have.length(2);
  });
});
