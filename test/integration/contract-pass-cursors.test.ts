import { expect } from 'chai';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

type Owner = Awaited<ReturnType<typeof createHandle>>;

// Contract pass: a list's `cursor` is opaque and belongs to the list it came from. A cursor from another list was
// already refused (400); one from the same list of another handle positioned this handle's list with the other
// tenant's keys instead. Each page of every row still comes once, and the cursor's own handle still pages on.
describe("contract pass: a cursor from another handle's list", function () {
  this.timeout(60_000);
  let server: TestServer;
  let a: Owner;
  let b: Owner;

  const fill = async (o: Owner) => {
    for (const n of [1, 2, 3]) {
      await server.http.post(`/v2/handles/${o.handle}/campaigns`).set(o.auth)
        .send({ campaignId: `c${n}`, goalType: 'AFFILIATE_CLICKOUT', primaryLink: { slug: `s${n}`, destinationUrl: 'https://merchant.example/p' } }).expect(201);
      await server.http.post(`/v2/handles/${o.handle}/partners`).set(o.auth).send({ partnerId: `p${n}`, name: `P${n}` }).expect(201);
      await server.http.post(`/v2/handles/${o.handle}/partners/p1/tokens`).set(o.auth).send({ name: `t${n}` }).expect(201);
      await createToken(server, o.handle, o.ownerToken, ['campaigns.read']);
      await server.http.put(`/v2/handles/${o.handle}/rewards/r${n}`).set(o.auth)
        .send({ scope: { campaignId: `c${n}` }, event: 'click', type: 'flat', amount: 0.01 }).expect(201);
      await server.http.post(`/v2/handles/${o.handle}/webhooks`).set(o.auth)
        .send({ endpointUrl: `http://127.0.0.1:9/${n}`, eventTypes: ['webhook.ping'] }).expect(201);
    }
  };

  before(async () => {
    server = await startTestServer({ redis: false, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    a = await createHandle(server);
    b = await createHandle(server);
    await fill(a);
    await fill(b);
  });
  after(async () => server?.close());

  const LISTS = ['campaigns', 'partners', 'partners/p1/tokens', 'tokens', 'rewards', 'webhooks', 'audit-events', 'conversions', 'commissions', 'payouts', 'notifications'];

  it('is refused with 400 invalid_request naming /query/cursor on every handle list; its own handle pages on', async () => {
    for (const list of LISTS) {
      const first = await server.http.get(`/v2/handles/${a.handle}/${list}?limit=1`).set(a.auth).expect(200);
      // Lists these fixtures leave empty have no cursor to carry over; the ones with rows must give one.
      if (['conversions', 'commissions', 'payouts', 'notifications'].includes(list) && first.body.nextCursor === null) continue;
      const cursor = first.body.nextCursor as string;
      expect(cursor, list).to.be.a('string');
      const foreign = await server.http.get(`/v2/handles/${b.handle}/${list}?limit=1&cursor=${encodeURIComponent(cursor)}`).set(b.auth);
      expect(foreign.status, `${list}: ${JSON.stringify(foreign.body)}`).to.equal(400);
      expect(foreign.body.error.code, list).to.equal('invalid_request');
      expect(foreign.body.error.details[0].pointer, list).to.equal('/query/cursor');
      const own = await server.http.get(`/v2/handles/${a.handle}/${list}?limit=1&cursor=${encodeURIComponent(cursor)}`).set(a.auth);
      expect(own.status, list).to.equal(200);
      expect(own.body.data[0], list).to.not.deep.equal(first.body.data[0]);
    }
  });

  it('still walks every row exactly once with limit=1', async () => {
    for (const list of ['campaigns', 'partners', 'tokens', 'rewards', 'webhooks', 'audit-events']) {
      const all = (await server.http.get(`/v2/handles/${a.handle}/${list}?limit=500`).set(a.auth).expect(200)).body.data as unknown[];
      const walked: unknown[] = [];
      let cursor: string | null = null;
      do {
        const res = await server.http.get(`/v2/handles/${a.handle}/${list}?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).set(a.auth).expect(200);
        walked.push(...(res.body.data as unknown[]));
        cursor = res.body.nextCursor as string | null;
      } while (cursor);
      expect(walked, list).to.deep.equal(all);
    }
  });
});
