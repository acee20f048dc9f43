import { expect } from 'chai';
import { partnerCampaign } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Every list with a time window names an inverted one (from not before to) as the caller's mistake, a 400 in
// analytics' words, rather than answering an empty list a script would take for "nothing happened".
describe('lists with from/to: an inverted window is a 400 on every one', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ redis: false });
  });
  after(async () => server?.close());

  it('refuses from after to, and from equal to to, on the handle and in the partner realm', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'ana');
    const ana = await partnerToken(server, t, 'ana');
    const lists: Array<[string, Record<string, string>]> = [
      ['conversions', t.auth], ['commissions', t.auth], ['audit-events', t.auth], ['notifications', t.auth],
      ['partner/conversions', ana.auth], ['partner/commissions', ana.auth],
    ];
    for (const [list, auth] of lists) {
      for (const window of ['from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z', 'from=2026-12-04T00:00:00Z&to=2026-12-04T00:00:00Z']) {
        const res = await server.http.get(`/v2/handles/${t.handle}/${list}?${window}`).set(auth);
        expect([list, res.status], res.text).to.deep.equal([list, 400]);
        expect(res.body.error).to.deep.include({ code: 'invalid_request', message: '`from` must be before `to`.' });
      }
      const fine = await server.http.get(`/v2/handles/${t.handle}/${list}?from=2026-12-04T00:00:00Z&to=2026-12-04T00:00:00.001Z`).set(auth);
      expect([list, fine.status]).to.deep.equal([list, 200]);
    }
  });
});
