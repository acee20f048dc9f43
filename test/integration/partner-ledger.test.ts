import { expect } from 'chai';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { annaAndBob, assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

// The partner realm reads the ledger: its own conversions, commissions, payouts and balances, never another partner's.
describe('partner realm: conversions, commissions, payouts and balances', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it("forces the token's partner: anna sees her own rows and balances, never bob's", async () => {
    const t = await partnerCampaign(server, { reportingCurrency: 'EUR' });
    await annaAndBob(server, t);
    const convert = async (campaignId: string, key: string, value: number) => {
      const { ctx } = await storedClick(server, t.handle, campaignId);
      return (await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value, idempotencyKey: key }).expect(201)).body.conversionId as string;
    };
    const a1 = await convert(t.campaignId, 'a1', 100);
    const a2 = await convert(t.campaignId, 'a2', 50);
    const b1 = await convert('bob-deal', 'b1', 999);
    // One of anna's commissions approved and paid, one approved, bob's left pending.
    const list = (await server.http.get(`/v2/handles/${t.handle}/commissions?partnerId=anna`).set(t.auth).expect(200)).body.data;
    const byConversion = Object.fromEntries(list.map((c: { conversionId: string; commissionId: string }) => [c.conversionId, c.commissionId]));
    for (const id of [a1, a2]) await server.http.patch(`/v2/handles/${t.handle}/commissions/${byConversion[id]}`).set(t.auth).send({ status: 'approved', reason: 'checked' }).expect(200);
    await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'run-1', partnerIds: ['anna'] }).expect(201);
    const anna = await partnerToken(server, t, 'anna');
    const realm = (path: string) => server.http.get(`/v2/handles/${t.handle}/partner${path}`).set(anna.auth);

    const profile = (await realm('').expect(200)).body;
    expect(profile.balances).to.deep.equal([{ currency: 'EUR', pending: 0, approved: 15, paid: 0 }]);
    const payouts = (await realm('/payouts').expect(200)).body.data;
    expect(payouts.map((p: { partnerId: string; amount: number }) => [p.partnerId, p.amount])).to.deep.equal([['anna', 15]]);
    await server.http.post(`/v2/handles/${t.handle}/payouts/${payouts[0].payoutId}/mark-paid`).set(t.auth).send({}).expect(200);
    expect((await realm('').expect(200)).body.balances).to.deep.equal([{ currency: 'EUR', pending: 0, approved: 0, paid: 15 }]);

    const funnel = (await realm('/analytics?funnel=true').expect(200)).body;
    expect(funnel.data.map((r: { campaignId: string; commission: unknown }) => [r.campaignId, r.commission])).to.deep.equal([[t.campaignId, { EUR: 15 }]]);
    expect(funnel.totals.commission).to.deep.equal({ EUR: 15 });
    expect(JSON.stringify(funnel)).not.to.include('999');
    const conversions = (await realm('/conversions').expect(200)).body.data;
    expect(conversions.map((c: { conversionId: string; value: number }) => [c.conversionId, c.value]).sort()).to.deep.equal([[a1, 100], [a2, 50]].sort());
    const commissions = (await realm('/commissions').expect(200)).body;
    expect(commissions.data.map((c: { partnerId: string }) => c.partnerId)).to.deep.equal(['anna', 'anna']);
    expect(commissions.summary).to.deep.equal([{ currency: 'EUR', status: 'paid', count: 2, amount: 15 }]);
    expect(JSON.stringify([conversions, commissions])).not.to.include(b1);
    // partnerId filters like on the handle routes, but names only the caller: bob's id is a 404 (API.md:
    // "Another partner's ids on these routes → 404, never its data").
    await realm('/commissions?partnerId=bob').expect(404);
    await realm('/conversions?partnerId=bob').expect(404);
    await realm('/payouts?partnerId=bob').expect(404);
    expect((await realm('/commissions?partnerId=anna').expect(200)).body.data).to.have.length(2);
    // Bob's campaign named as a filter: 404, never its rows.
    await realm('/commissions?campaignId=bob-deal').expect(404);
    await realm('/conversions?campaignId=bob-deal').expect(404);
    expect((await realm(`/conversions?campaignId=${t.campaignId}`).expect(200)).body.data).to.have.length(2);
    // A handle token is not let into the realm.
    await server.http.get(`/v2/handles/${t.handle}/partner/commissions`).set(t.auth).expect(403);
  });

  it("shows a partner's commissions in the handle's funnel only to a token that may read commissions (funnel and live stream)", async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'anna');
    await assignPartner(server, t, t.campaignId, 'anna');
    await server.http.put(`/v2/handles/${t.handle}/rewards/flat`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'flat', amount: 12.34, holdDays: 0 }).expect(201);
    const { ctx } = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 50, idempotencyKey: 'sale-1' }).expect(201);
    const analyticsOnly = await createToken(server, t.handle, t.ownerToken, ['analytics.read']);
    const withCommissions = await createToken(server, t.handle, t.ownerToken, ['analytics.read', 'commissions.read']);
    const funnel = async (auth: Record<string, string>) =>
      (await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true&partnerId=anna`).set(auth).expect(200)).body;

    const hidden = await funnel(analyticsOnly.auth);
    expect(hidden.data[0]).to.include({ campaignId: t.campaignId, conversions: 1 });
    expect(hidden.data[0]).not.to.have.property('commission');
    expect(hidden.totals).not.to.have.property('commission');
    expect(JSON.stringify(hidden)).not.to.include('12.34');
    expect((await funnel(withCommissions.auth)).data[0].commission).to.deep.equal({ USD: 12.34 });
    expect((await funnel(t.auth)).totals.commission).to.deep.equal({ USD: 12.34 });

    const streamOf = (auth: Record<string, string>) => SseClient.open(`${server.url}/v2/handles/${t.handle}/analytics/stream?partnerId=anna`, auth);
    const [blind, seeing] = await Promise.all([streamOf(analyticsOnly.auth), streamOf(withCommissions.auth)]);
    try {
      await blind.until(() => blind.events[0], 3000, 'the snapshot');
      await seeing.until(() => seeing.events[0], 3000, 'the snapshot');
      expect(seeing.events[0].data.data[0].commission).to.deep.equal({ USD: 12.34 });
      // A push after a new conversion: still without the commission for the analytics-only token.
      const second = await storedClick(server, t.handle, t.campaignId);
      await server.http.post(CONVERSIONS).send({ ctx: second.ctx, eventType: 'affiliate_click', value: 50, idempotencyKey: 'sale-2' }).expect(201);
      await blind.until(() => blind.events.find((e) => e.data.data?.[0]?.conversions === 2), 5000, 'the push');
      await seeing.until(() => seeing.events.find((e) => e.data.data?.[0]?.conversions === 2), 5000, 'the push');
      expect(JSON.stringify(blind.events)).not.to.include('commission');
      expect(seeing.events.at(-1)!.data.data[0].commission).to.deep.equal({ USD: 24.68 });
    } finally {
      blind.close();
      seeing.close();
    }
  });
});
