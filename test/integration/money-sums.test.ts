import { expect } from 'chai';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Every amount that comes in is bounded (999,999,999,999.99), sums are not: a day's click commission
// grows with each click, a payout adds up a ledger. A sum past numeric(14, 2) once failed the payout
// run (500) and the whole click batch — every handle's clicks — until the rule was removed.
describe('money sums beyond any single amount', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  const MAX = 999_999_999_999.99;
  const clicksOf = async (t: { handle: string; auth: Record<string, string> }) =>
    (await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200)).body.totals.clicks as number;
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; !(await ok()); i++) {
      if (i > 100) throw new Error(`${what}: not within 5 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("grows a day's click commission past the largest amount, and another handle's clicks are stored meanwhile", async () => {
    const big = await partnerCampaign(server);
    await createPartner(server, big, 'ana');
    await assignPartner(server, big, big.campaignId, 'ana');
    await server.http.put(`/v2/handles/${big.handle}/rewards/cpc`).set(big.auth)
      .send({ scope: { partnerId: 'ana' }, event: 'click', type: 'flat', amount: MAX, currency: 'USD', holdDays: 0 }).expect(201);
    const other = await partnerCampaign(server);
    await Promise.all([clickThrough(server, big.handle, big.slug), clickThrough(server, big.handle, big.slug), clickThrough(server, other.handle, other.slug)]);
    await until('both handles', async () => (await clicksOf(big)) === 2 && (await clicksOf(other)) === 1);
    await clickThrough(server, big.handle, big.slug);
    await until('the third click', async () => (await clicksOf(big)) === 3);
    const { body } = await server.http.get(`/v2/handles/${big.handle}/commissions?type=click`).set(big.auth).expect(200);
    expect(body.data.map((c: { quantity: number; amount: number }) => [c.quantity, c.amount])).to.deep.equal([[3, 2_999_999_999_999.97]]);
    const { rows } = await server.sql.query(`select amount::text from commissions where handle = $1`, [big.handle]);
    expect(rows).to.deep.equal([{ amount: '2999999999999.97' }]);
  });

  it('pays a partner whose approved ledger sums past the largest amount', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'ben');
    await assignPartner(server, t, t.campaignId, 'ben');
    await server.http.put(`/v2/handles/${t.handle}/rewards/all`).set(t.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 100, holdDays: 0 }).expect(201);
    for (const key of ['k1', 'k2', 'k3']) {
      const ctx = await clickThrough(server, t.handle, t.slug);
      await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: MAX, currency: 'USD', idempotencyKey: key }).expect(201);
    }
    const { body: list } = await server.http.get(`/v2/handles/${t.handle}/commissions?type=conversion`).set(t.auth).expect(200);
    const ids = list.data.map((c: { commissionId: string }) => c.commissionId);
    await server.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth).send({ commissionIds: ids, status: 'approved', reason: 'checked' }).expect(200);
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'big' }).expect(201);
    expect(run.body.data.map((p: { amount: number; commissionCount: number }) => [p.amount, p.commissionCount])).to.deep.equal([[2_999_999_999_999.97, 3]]);
    const { rows } = await server.sql.query(`select amount::text from payouts where handle = $1`, [t.handle]);
    expect(rows).to.deep.equal([{ amount: '2999999999999.97' }]);
  });
});
