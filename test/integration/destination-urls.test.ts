import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { campaign, person, trustLocalProxy } from '../support/redirect.ts';

type Auth = { Authorization: string };
const pointers = (res: { body: { error: { details?: { pointer: string }[] } } }) => (res.body.error.details ?? []).map((d) => d.pointer);

// Issue 12 item 10: what is stored, shown and redirected is what a browser will follow.
describe('destination URLs: WHATWG-normalised, never with userinfo', () => {
  let server: TestServer;
  let handle: string;
  let auth: Auth;
  let seq = 0;
  const next = () => `dest-${++seq}`;
  const create = (destinationUrl: string, extra: Record<string, unknown> = {}) => {
    const id = next();
    return server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(campaign(id, id, destinationUrl, extra));
  };
  const location = async (slug: string) => {
    const res = await server.http.get(`/${handle}/${slug}`).set(person()).redirects(0).expect(302);
    return res.headers.location as string;
  };

  before(async () => {
    server = await startTestServer({ env: trustLocalProxy });
    ({ handle, auth } = await createHandle(server));
  });
  after(async () => server?.close());

  for (const given of ['https:evil.com', 'https:/evil.com', 'HTTPS://EVIL.com', 'https://evil.com:443']) {
    it(`stores and redirects ${given} as https://evil.com/`, async () => {
      const res = await create(given).expect(201);
      expect(res.body.primaryLink.destinationUrl).to.equal('https://evil.com/');
      const { rows } = await server.sql.query('select destination_url from campaigns where handle = $1 and campaign_id = $2', [handle, res.body.campaignId]);
      expect(rows[0].destination_url).to.equal('https://evil.com/');
      expect(await location(res.body.primaryLink.slug)).to.match(/^https:\/\/evil\.com\/\?ctx=/);
    });
  }

  it('takes a destination with a non-ASCII host or path, as a browser does, and stores its ASCII href', async () => {
    const res = await create('https://münchen.example/größe?q=ü', {
      routingRules: [{ priority: 1, destinationUrl: 'https://bücher.example/ß', conditions: { languageIn: ['en'] } }],
    }).expect(201);
    expect(res.body.primaryLink.destinationUrl).to.equal('https://xn--mnchen-3ya.example/gr%C3%B6%C3%9Fe?q=%C3%BC');
    expect(res.body.routingRules[0].destinationUrl).to.equal('https://xn--bcher-kva.example/%C3%9F');
    expect(await location(res.body.primaryLink.slug)).to.match(/^https:\/\/xn--bcher-kva\.example\/%C3%9F\?ctx=/);
    const patched = await server.http.patch(`/v2/handles/${handle}/campaigns/${res.body.campaignId}`).set(auth).send({ destinationUrl: 'https://köln.example/' }).expect(200);
    expect(patched.body.primaryLink.destinationUrl).to.equal('https://xn--kln-sna.example/');
    // Still refused: what no browser could follow, with the service's own message rather than ajv's "format".
    const bad = await create('https://exa mple.com/').expect(400);
    expect(bad.body.error.details[0].message).to.equal('must be an absolute http or https URL');
  });

  it('refuses a destination whose encoded form is over 2,048 characters, so what GET answers a PATCH can send back', async () => {
    const long = `https://example.com/${'中'.repeat(2000)}`; // 2,020 characters typed, 18,020 percent-encoded
    const res = await create(long).expect(400);
    expect(pointers(res)).to.deep.equal(['/body/primaryLink/destinationUrl']);
    expect(res.body.error.details[0].message).to.equal('must be at most 2048 characters as a browser sends it (percent-encoded: 18020)');
    // The same through PATCH; and a long URL that stays under the limit encoded is stored and round-trips.
    const fits = `https://example.com/${'中'.repeat(200)}`;
    const ok = await create(fits).expect(201);
    const patched = await server.http.patch(`/v2/handles/${handle}/campaigns/${ok.body.campaignId}`).set(auth).send({ destinationUrl: long }).expect(400);
    expect(pointers(patched)).to.deep.equal(['/body/destinationUrl']);
    const got = (await server.http.get(`/v2/handles/${handle}/campaigns/${ok.body.campaignId}`).set(auth).expect(200)).body;
    expect(got.primaryLink.destinationUrl).to.have.length(20 + 9 * 200);
    await server.http.patch(`/v2/handles/${handle}/campaigns/${ok.body.campaignId}`).set(auth).send({ destinationUrl: got.primaryLink.destinationUrl }).expect(200);
  });

  it('refuses userinfo with 400 pointing at the field (primary link and routing rules)', async () => {
    const primary = await create('https://u:p@x.com').expect(400);
    expect(primary.body.error.code).to.equal('invalid_request');
    expect(pointers(primary)).to.deep.equal(['/body/primaryLink/destinationUrl']);
    expect((await create('https://merchant.example.com@evil.example/').expect(400)).body.error.details[0].message).to.include('user name');
    const rule = await create('https://ok.example/', {
      routingRules: [{ priority: 1, destinationUrl: 'https://ok.example/a' , conditions: {} }, { priority: 2, destinationUrl: 'https://u@x.com/', conditions: {} }],
    }).expect(400);
    expect(pointers(rule)).to.deep.equal(['/body/routingRules/1/destinationUrl']);
  });

  it('normalises routing-rule destinations and redirects to them normalised', async () => {
    const res = await create('https://fallback.example/', {
      routingRules: [{ priority: 1, destinationUrl: 'https:rule.example/path?q=1', conditions: { languageIn: ['en'] } }],
    }).expect(201);
    expect(res.body.routingRules[0].destinationUrl).to.equal('https://rule.example/path?q=1');
    expect(await location(res.body.primaryLink.slug)).to.match(/^https:\/\/rule\.example\/path\?q=1&ctx=/);
  });

  it('normalises PATCHed destinations and refuses PATCHed userinfo', async () => {
    const { body } = await create('https://before.example/').expect(201);
    const path = `/v2/handles/${handle}/campaigns/${body.campaignId}`;
    const patched = await server.http.patch(path).set(auth).send({ destinationUrl: 'https:/after.example' }).expect(200);
    expect(patched.body.primaryLink.destinationUrl).to.equal('https://after.example/');
    const bad = await server.http.patch(path).set(auth).send({ destinationUrl: 'https://u:p@after.example/' }).expect(400);
    expect(pointers(bad)).to.deep.equal(['/body/destinationUrl']);
    const badRule = await server.http.patch(path).set(auth).send({ routingRules: [{ priority: 1, destinationUrl: 'https://u:p@r.example/', conditions: {} }] }).expect(400);
    expect(pointers(badRule)).to.deep.equal(['/body/routingRules/0/destinationUrl']);
    const rules = await server.http.patch(path).set(auth).send({ routingRules: [{ priority: 1, destinationUrl: 'https:r.example', conditions: {} }] }).expect(200);
    expect(rules.body.routingRules[0].destinationUrl).to.equal('https://r.example/');
  });

  it('redirects a row stored before this rule as a browser reads it, without its userinfo', async () => {
    const { body } = await create('https://clean.example/').expect(201);
    await server.sql.query('update campaigns set destination_url = $3 where handle = $1 and campaign_id = $2',
      [handle, body.campaignId, 'https:merchant.example@evil.example/landing']);
    expect(await location(body.primaryLink.slug)).to.match(/^https:\/\/evil\.example\/landing\?ctx=/);
  });
});
