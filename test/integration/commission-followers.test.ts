import { expect } from 'chai';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

type Commission = { commissionId: string; type: string; amount: number; status: string };

// A partial reversal's adjustment belongs to its commission, and a reversal leaves a rejected commission
// alone: approving or rejecting a commission by hand must never pay for a refunded sale, nor charge a
// partner for a commission it never earned (found by a black-box pass).
describe('commissions: what follows a commission moved by hand', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  async function setup() {
    const t = await partnerCampaign(server, { reportingCurrency: 'EUR' });
    await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'anna', name: 'Anna' }).expect(201);
    await server.http.patch(`/v2/handles/${t.handle}/campaigns/${t.campaignId}`).set(t.auth).send({ partnerId: 'anna' }).expect(200);
    await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 30 }).expect(201);
    const merchant = (await createToken(server, t.handle, t.ownerToken, ['conversions.write'])).auth;
    const base = `/v2/handles/${t.handle}`;
    return {
      /** A conversion of `value` EUR and its commission (10 %, pending for 30 days). */
      convert: async (key: string, value: number) => {
        const { ctx } = await storedClick(server, t.handle, t.campaignId);
        await server.http.post(CONVERSIONS).set(merchant).send({ ctx, eventType: 'affiliate_click', idempotencyKey: key, value }).expect(201);
        const { body } = await server.http.get(`${base}/commissions?type=conversion`).set(t.auth).expect(200);
        return (body.data as Array<Commission & { conversionId: string }>).find((c) => c.amount === value / 10)!.commissionId;
      },
      reverse: (key: string, reversalKey: string, amount?: number) =>
        server.http.post(`${base}/conversions/reversals`).set(merchant).send({ idempotencyKey: key, reversalKey, reason: 'refund', ...(amount && { amount }) }).expect(201),
      move: (id: string, status: string) => server.http.patch(`${base}/commissions/${id}`).set(t.auth).send({ status, reason: 'checked' }),
      ledger: async () => ((await server.http.get(`${base}/commissions`).set(t.auth).expect(200)).body.data as Commission[]).map((c) => [c.type, c.amount, c.status]).sort(),
      pay: async (key: string) => (await server.http.post(`${base}/payouts`).set(t.auth).send({ idempotencyKey: key, periodEnd: '2999-01-01T00:00:00Z' }).expect(201)).body.data.map((p: { amount: number }) => p.amount),
    };
  }

  it('never approves a rejected commission whose conversion was then reversed whole', async () => {
    const t = await setup();
    const id = await t.convert('o1', 50);
    await t.move(id, 'rejected').expect(200);
    expect((await t.reverse('o1', 'r1')).body.commissions).to.deep.equal([]);
    const res = await t.move(id, 'approved').expect(409);
    expect(res.body.error.code).to.equal('invalid_transition');
    expect(await t.pay('p1')).to.deep.equal([]);
  });

  it('approving a rejected commission after a partial reversal appends the adjustment the reversal skipped', async () => {
    const t = await setup();
    const id = await t.convert('o2', 60);
    await t.move(id, 'rejected').expect(200);
    await t.reverse('o2', 'r1', 20);
    await t.reverse('o2', 'r2', 10);
    expect(await t.ledger()).to.deep.equal([['conversion', 6, 'rejected']]);
    await t.move(id, 'approved').expect(200);
    expect(await t.ledger()).to.deep.equal([['adjustment', -3, 'approved'], ['conversion', 6, 'approved']]);
    expect(await t.pay('p1')).to.deep.equal([3]);
    // A later reversal takes only its own part: the parts still sum to the commission.
    const rest = await t.reverse('o2', 'r3');
    expect(rest.body.commissions.map((c: Commission) => [c.type, c.amount])).to.deep.equal([['clawback', -3]]);
  });

  it("moves a commission's adjustments with it: rejected together, approved together, never by hand alone", async () => {
    const t = await setup();
    const id = await t.convert('o3', 80);
    const adjustment = (await t.reverse('o3', 'r1', 20)).body.commissions[0].commissionId as string;
    expect((await t.move(adjustment, 'rejected').expect(409)).body.error.code).to.equal('invalid_transition');
    await t.move(id, 'rejected').expect(200);
    expect(await t.ledger()).to.deep.equal([['adjustment', -2, 'rejected'], ['conversion', 8, 'rejected']]);
    expect(await t.pay('p1')).to.deep.equal([]);
    await t.move(id, 'approved').expect(200);
    expect(await t.ledger()).to.deep.equal([['adjustment', -2, 'approved'], ['conversion', 8, 'approved']]);
    expect(await t.pay('p2')).to.deep.equal([6]);
  });
});
