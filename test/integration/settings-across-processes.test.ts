import { expect } from 'chai';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { twoServers } from '../support/server.ts';

// A change answered on one process holds on every process from the answer on: the change is handed to Redis, and by
// Redis to the other processes' subscriber connections, before the PATCH is answered (Bus.deliver). With a publish sent
// after the answer, the next conversion on the other process was judged by the old setting now and then (a black-box
// run: 34 of 100 immediate follow-ups for publicConversions, 1–3 of 30 for maxConversionValue).
describe('campaign and handle settings changed on one process, used at once on another', () => {
  const servers = twoServers();

  const sale = (ctx: string, idempotencyKey: string) => ({ ctx, eventType: 'affiliate_click', value: 100, currency: 'USD', idempotencyKey });

  it('maxConversionValue: the next conversion on the other process meets the new limit', async () => {
    const { a, b } = servers;
    const { handle, auth, campaignId } = await partnerCampaign(a);
    const statuses: number[] = [];
    for (let round = 0; round < 40; round++) {
      const max = round % 2 === 0 ? 50 : 1000;
      // B has the campaign in memory (its last conversion read it).
      await a.http.patch(`/v2/handles/${handle}/campaigns/${campaignId}`).set(auth).send({ maxConversionValue: max }).expect(200);
      const { ctx } = await storedClick(a, handle, campaignId);
      const res = await b.http.post(CONVERSIONS).send(sale(ctx, `max-${round}`));
      statuses.push(res.status);
      if (res.status === 422) expect(res.body.error.code).to.equal('value_out_of_range');
    }
    expect(statuses).to.deep.equal(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 422 : 201)));
  });

  it('publicConversions: a ctx-only conversion on the other process gets the new setting', async () => {
    const { a, b } = servers;
    const { handle, auth, campaignId } = await partnerCampaign(a);
    const statuses: number[] = [];
    for (let round = 0; round < 40; round++) {
      const mode = round % 2 === 0 ? 'refuse' : 'accept';
      await a.http.patch(`/v2/handles/${handle}`).set(auth).send({ publicConversions: mode }).expect(200);
      const { ctx } = await storedClick(a, handle, campaignId);
      statuses.push((await b.http.post(CONVERSIONS).send(sale(ctx, `mode-${round}`))).status);
    }
    expect(statuses).to.deep.equal(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 401 : 201)));
  });
});
