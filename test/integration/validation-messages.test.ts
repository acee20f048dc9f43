import { expect } from 'chai';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Detail = { pointer: string; message: string };

// A user pass: a bad date answered with ~200 characters of regex, and an enum ("usd", a misspelt status) with
// "must be equal to one of the allowed values" without saying which. Each detail now says what is wanted.
describe('validation errors say what is wanted, not how it is checked', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
  });
  after(async () => server?.close());

  const detail = (body: { error: { code: string; details: Detail[] } }, pointer: string) => {
    expect(body.error.code).to.equal('invalid_request');
    const found = body.error.details.find((d) => d.pointer === pointer);
    expect(found, JSON.stringify(body)).to.not.equal(undefined);
    return found!.message;
  };

  it('names the date-time form for a bad time bound, in a query and in a body', async () => {
    const query = await server.http.get(`/v2/handles/${t.handle}/commissions?from=notadate`).set(t.auth).expect(400);
    expect(detail(query.body, '/query/from')).to.equal('must be an RFC 3339 date-time in the years 1970-9998, e.g. 2026-12-04T00:00:00Z');
    expect(query.body.error.details).to.have.length(1);
    const year = await server.http.get(`/v2/handles/${t.handle}/commissions?from=0001-01-01T00:00:00Z`).set(t.auth).expect(400);
    expect(detail(year.body, '/query/from')).to.equal('must be an RFC 3339 date-time in the years 1970-9998, e.g. 2026-12-04T00:00:00Z');
    const body = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'p', periodEnd: '2026-12-31T23:59:60Z' }).expect(400);
    expect(detail(body.body, '/body/periodEnd')).to.equal('must be an RFC 3339 date-time in the years 1970-9998, e.g. 2026-12-04T00:00:00Z');
    // A plain date-time field (not a time-window bound) bounds no years: its message does not claim so.
    await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'val', name: 'Val' }).expect(201);
    const expiry = await server.http.post(`/v2/handles/${t.handle}/partners/val/tokens`).set(t.auth).send({ name: 'x', expiresAt: 'tomorrow' }).expect(400);
    expect(detail(expiry.body, '/body/expiresAt')).to.equal('must be an RFC 3339 date-time, e.g. 2026-12-04T00:00:00Z');
  });

  it('lists a short enum, and suggests the value meant for a long one', async () => {
    const status = await server.http.get(`/v2/handles/${t.handle}/conversions?status=bogus`).set(t.auth).expect(400);
    expect(detail(status.body, '/query/status')).to.equal('must be one of "recorded", "partially_reversed", "reversed"');
    const ctx = await clickThrough(server, t.handle, t.slug);
    const currency = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 1, currency: 'usd', idempotencyKey: 'k' }).expect(400);
    expect(detail(currency.body, '/body/currency')).to.match(/^must be one of \d{3} allowed values \("[A-Z]{3}", "[A-Z]{3}", "[A-Z]{3}", …\); did you mean "USD"\?$/);
    const zzz = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 1, currency: 'ZZZ', idempotencyKey: 'k' }).expect(400);
    expect(detail(zzz.body, '/body/currency')).to.not.include('did you mean');
    // Webhook event types (13) are listed whole: "13 allowed values (three of them, …)" left an integrator guessing.
    const hook = await server.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth)
      .send({ endpointUrl: 'https://hooks.example.com/x', eventTypes: ['conversion.recorded'] }).expect(400);
    const said = detail(hook.body, '/body/eventTypes/0');
    expect(said).to.match(/^must be one of "link\.clicked", /).and.include('"payout.paid"').and.not.include('…');
  });

  it('says a key may not hold control characters instead of printing the pattern', async () => {
    const ctx = await clickThrough(server, t.handle, t.slug);
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 1, currency: 'USD', idempotencyKey: 'a\u0007b' }).expect(400);
    expect(detail(res.body, '/body/idempotencyKey')).to.equal('must not contain control or invisible formatting characters');
  });

  it('says what a handle, an event type and a channel may hold instead of printing their patterns (a CLI pass: create-handle Bad_Name printed the regex)', async () => {
    const handle = await server.http.post('/v2/handles').set(server.admin()).send({ handle: 'Bad_Name', name: 'x' }).expect(400);
    expect(detail(handle.body, '/body/handle')).to.equal('must be 3 to 40 lower-case letters, digits or hyphens, starting and ending with a letter or digit');
    const ctx = await clickThrough(server, t.handle, t.slug);
    const event = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'buy now', idempotencyKey: 'k-1' }).expect(400);
    expect(detail(event.body, '/body/eventType')).to.equal('must be 1 to 64 letters, digits, or the characters _ . : -');
    const hook = await server.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth)
      .send({ endpointUrl: 'https://hooks.example.com/x', eventTypes: ['webhook.ping'], channel: 'Slack!' }).expect(400);
    expect(detail(hook.body, '/body/channel')).to.equal('must be 1 to 64 lower-case letters, digits, hyphens or underscores, starting with a letter or digit');
    for (const body of [handle.body, event.body, hook.body]) expect(JSON.stringify(body)).to.not.include('pattern');
  });

  it('refuses a name nobody can read, or one that reorders what the dashboard shows; takes any script and emoji', async () => {
    const said = 'must contain a visible character, and no control or bidirectional-override characters';
    // Also names of invisible characters alone (zero-width, word joiner, Hangul fillers, blank braille, a lone combining mark).
    for (const name of ['   ', 'Partner \u202Eahpla', 'tab\tbed', '\u2066Alpha\u2069', '\u200B', '\u200C\u200D', '\u2060 \u2062', '\u3164', '\u115F', '\u2800', '\uFFA0', '\u034F', '\u17B5']) {
      const partner = await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'named', name }).expect(400);
      expect(detail(partner.body, '/body/name'), JSON.stringify(name)).to.equal(said);
      const handle = await server.http.patch(`/v2/handles/${t.handle}`).set(t.auth).send({ name }).expect(400);
      expect(detail(handle.body, '/body/name'), JSON.stringify(name)).to.equal(said);
      const token = await server.http.post(`/v2/handles/${t.handle}/tokens`).set(t.auth).send({ name, scopes: ['campaigns.read'] }).expect(400);
      expect(detail(token.body, '/body/name'), JSON.stringify(name)).to.equal(said);
    }
    // Persian with a zero-width non-joiner, a family emoji joined by ZWJ, and Hebrew: names, not tricks.
    for (const [partnerId, name] of [['fa', 'می\u200Cخواهم'], ['emoji', 'Team 👨\u200D👩\u200D👧'], ['he', 'שותף']]) {
      await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId, name }).expect(201);
    }
  });

  it('names an unknown field by its JSON Pointer, escaped as RFC 6901 says (~0, ~1), in the body and the query', async () => {
    const body = await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'ptr', name: 'P', 'a/b~c': 1 }).expect(400);
    expect(body.body.error.details).to.deep.equal([{ pointer: '/body/a~1b~0c', message: 'is not a known field' }]);
    const query = await server.http.get(`/v2/handles/${t.handle}/campaigns?${encodeURIComponent('a/b')}=1`).set(t.auth).expect(400);
    expect(query.body.error.details).to.deep.equal([{ pointer: '/query/a~1b', message: 'is not a known field' }]);
  });

  it('says a query parameter given twice is given twice, not "must be integer" (a helper pass: ?limit=1&limit=2)', async () => {
    for (const path of [`/v2/handles/${t.handle}/campaigns?limit=1&limit=2`, `/v2/handles/${t.handle}/partners?status=ACTIVE&status=SUSPENDED`]) {
      const res = await server.http.get(path).set(t.auth).expect(400);
      expect(res.body.error.details, path).to.deep.equal([{ pointer: `/query/${path.includes('limit') ? 'limit' : 'status'}`, message: 'must be given once' }]);
    }
  });

  it('answers an empty or too long key with its length only, not also "must not contain control characters"', async () => {
    const ctx = await clickThrough(server, t.handle, t.slug);
    for (const [key, said] of [['', 'must NOT have fewer than 1 characters'], ['k'.repeat(256), 'must NOT have more than 255 characters']]) {
      const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: key }).expect(400);
      expect(res.body.error.details, key).to.deep.equal([{ pointer: '/body/idempotencyKey', message: said }]);
      const reversal = await server.http.post(`/v2/handles/${t.handle}/conversions/reversals`).set(t.auth).send({ idempotencyKey: 'x', reversalKey: key, reason: 'refund' }).expect(400);
      expect(reversal.body.error.details, key).to.deep.equal([{ pointer: '/body/reversalKey', message: said }]);
      const payout = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: key }).expect(400);
      expect(payout.body.error.details, key).to.deep.equal([{ pointer: '/body/idempotencyKey', message: said }]);
    }
  });
});
