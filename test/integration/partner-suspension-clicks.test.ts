import { expect } from 'chai';
import { clickThrough, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// README: a suspended partner's clicks "accrue on a rejected click row of their own, beside the day's pending row of
// the clicks before". Clicks reach PostgreSQL a flush later (here 1.5 s), and the flush read the partner's status as
// it was then: clicks made before a suspension, still buffered when it came, landed on the rejected row (a black-box
// pass across two processes: 20 clicks before and 5 after a suspension gave one row, 25 rejected), and clicks made
// while suspended but flushed after a reactivation on the pending one.
describe('click commissions of clicks still buffered when their partner is suspended or reactivated', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { CLICK_FLUSH_MS: '1500', TRUSTED_PROXIES: '127.0.0.1,::1' } });
  });
  after(async () => server?.close());

  let visitor = 0;
  const click = (h: { handle: string; slug: string }) =>
    clickThrough(server, h.handle, h.slug, { 'x-forwarded-for': `203.0.113.${++visitor}` }); // one visitor each: no burst
  const status = (h: { handle: string; auth: Record<string, string> }, partnerId: string, to: string) =>
    server.http.patch(`/v2/handles/${h.handle}/partners/${partnerId}`).set(h.auth).send({ status: to }).expect(200);
  const rows = async (handle: string, want: number) => {
    const read = async () => (await server.sql.query(
      `select status, reason, quantity::int from commissions where handle = $1 and type = 'click' order by status`, [handle])).rows;
    for (let i = 0; (await read()).reduce((n, r) => n + r.quantity, 0) < want; i++) {
      if (i > 100) throw new Error(`click commissions: ${JSON.stringify(await read())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return read();
  };

  it('each click earns as its partner was when it was clicked', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'ana');
    await assignPartner(server, t, t.campaignId, 'ana');
    await server.http.put(`/v2/handles/${t.handle}/rewards/per-click`).set(t.auth)
      .send({ scope: {}, event: 'click', type: 'flat', amount: 0.1, currency: 'USD', holdDays: 0 }).expect(201);

    await click(t);
    await click(t);
    await status(t, 'ana', 'SUSPENDED'); // both clicks are still in the buffer (1.5 s)
    await click(t);
    expect((await server.sql.query('select count(*)::int as n from clicks where handle = $1', [t.handle])).rows[0].n).to.equal(0);
    expect(await rows(t.handle, 3)).to.deep.equal([
      { status: 'pending', reason: null, quantity: 2 },
      { status: 'rejected', reason: 'partner_suspended', quantity: 1 },
    ]);

    await click(t); // suspended
    await status(t, 'ana', 'ACTIVE');
    await click(t);
    await click(t);
    expect(await rows(t.handle, 6)).to.deep.equal([
      { status: 'pending', reason: null, quantity: 4 },
      { status: 'rejected', reason: 'partner_suspended', quantity: 2 },
    ]);
  });
});
