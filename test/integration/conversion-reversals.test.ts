import { expect } from 'chai';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

// API.md "Conversions, read and reversed", through the real HTTP server; the ledger follows in the same transaction.

async function setup(server: TestServer) {
  const t = await partnerCampaign(server, { reportingCurrency: 'EUR' });
  await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'anna', name: 'Anna' }).expect(201);
  await server.http.patch(`/v2/handles/${t.handle}/campaigns/${t.campaignId}`).set(t.auth).send({ partnerId: 'anna' }).expect(200);
  await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 0 }).expect(201);
  const merchant = (await createToken(server, t.handle, t.ownerToken, ['conversions.write', 'conversions.read'])).auth;
  const convert = async (key: string, value?: number, o: { isBot?: boolean } = {}) => {
    const { ctx } = await storedClick(server, t.handle, t.campaignId, { isBot: o.isBot });
    const res = await server.http.post(CONVERSIONS).set(merchant).send({ ctx, eventType: 'affiliate_click', idempotencyKey: key, ...(value !== undefined && { value }) }).expect(201);
    return res.body.conversionId as string;
  };
  const reverse = (body: Record<string, unknown>) => server.http.post(`/v2/handles/${t.handle}/conversions/reversals`).set(merchant).send(body);
  return { ...t, merchant, convert, reverse, base: `/v2/handles/${t.handle}/conversions` };
}

describe('conversions: read and reversed', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('lists and gets conversions with partnerId, sub-IDs, clickIsBot, reversedValue and status; filters and pages', async () => {
    const t = await setup(server);
    const first = await t.convert('o1', 10);
    const second = await t.convert('o2', 20, { isBot: true });
    const one = await server.http.get(`${t.base}/${first}`).set(t.merchant).expect(200);
    // idempotencyKey: the merchant's key, which a reversal names the conversion by (a dashboard user pass had to type it in).
    expect(one.body).to.include({ conversionId: first, idempotencyKey: 'o1', campaignId: t.campaignId, partnerId: 'anna', value: 10, currency: 'EUR', clickIsBot: false,
      reversedValue: 0, status: 'recorded', authenticated: true, sub1: null });
    const page1 = await server.http.get(`${t.base}?limit=1`).set(t.merchant).expect(200);
    expect(page1.body.data.map((c: { conversionId: string }) => c.conversionId)).to.deep.equal([second]);
    expect(page1.body.data[0]).to.include({ clickIsBot: true, idempotencyKey: 'o2' });
    const page2 = await server.http.get(`${t.base}?limit=1&cursor=${page1.body.nextCursor}`).set(t.merchant).expect(200);
    expect(page2.body.data.map((c: { conversionId: string }) => c.conversionId)).to.deep.equal([first]);
    expect(page2.body.nextCursor).to.equal(null);
    expect((await server.http.get(`${t.base}?partnerId=bob`).set(t.merchant).expect(200)).body.data).to.deep.equal([]);
    expect((await server.http.get(`${t.base}?partnerId=anna&campaignId=${t.campaignId}`).set(t.merchant).expect(200)).body.data).to.have.length(2);
    expect((await server.http.get(`${t.base}?status=reversed`).set(t.merchant).expect(200)).body.data).to.deep.equal([]);
    // The merchant's order id finds its conversion (a refund names it); the key is matched whole, case and all.
    const byKey = await server.http.get(`${t.base}?idempotencyKey=o1`).set(t.merchant).expect(200);
    expect(byKey.body).to.deep.include({ nextCursor: null });
    expect(byKey.body.data.map((c: { conversionId: string }) => c.conversionId)).to.deep.equal([first]);
    expect((await server.http.get(`${t.base}?idempotencyKey=O1`).set(t.merchant).expect(200)).body.data).to.deep.equal([]);
    expect((await server.http.get(`${t.base}?idempotencyKey=o&partnerId=anna`).set(t.merchant).expect(200)).body.data).to.deep.equal([]);
    const blank = await server.http.get(`${t.base}?idempotencyKey=`).set(t.merchant).expect(400);
    expect(blank.body.error.code).to.equal('invalid_request');
    await server.http.get(`${t.base}/00000000-0000-4000-8000-000000000000`).set(t.merchant).expect(404);
    const other = await partnerCampaign(server);
    await server.http.get(`/v2/handles/${other.handle}/conversions/${first}`).set(other.auth).expect(404);
  });

  it('shows a refund in another currency than the reporting one in netRevenueByCurrency (netRevenue is the reporting currency\'s)', async () => {
    const t = await setup(server);
    await t.convert('eur-1', 50);
    const { ctx } = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).set(t.merchant).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'usd-1', value: 43.14, currency: 'USD' }).expect(201);
    await t.reverse({ idempotencyKey: 'usd-1', reversalKey: 'usd-refund', amount: 10, reason: 'refund' }).expect(201);
    const funnel = (await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200)).body;
    // Without it, the refund showed only as reversals: 1, with netRevenue (EUR) unchanged (a dashboard pass found it nowhere).
    for (const m of [funnel.data[0], funnel.totals]) {
      expect(m).to.deep.include({ revenue: 50, revenueByCurrency: { EUR: 50, USD: 43.14 }, reversals: 1, netRevenue: 50, netRevenueByCurrency: { EUR: 50, USD: 33.14 } });
    }
  });

  it('reverses in part then in full, appending an adjustment then reversing the commission; idempotent by reversalKey', async () => {
    const t = await setup(server);
    const id = await t.convert('order-9', 100);
    const part = await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-1', amount: 30, reason: 'refund', note: 'one item back' }).expect(201);
    expect(part.body).to.include({ conversionId: id, amount: 30, currency: 'EUR', reason: 'refund', note: 'one item back' });
    expect(part.body.commissions.map((c: { type: string; amount: number; status: string }) => [c.type, c.amount, c.status])).to.deep.equal([['adjustment', -3, 'pending']]);
    const again = await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-1', amount: 30, reason: 'refund' }).expect(200);
    expect(again.body).to.include({ reversalId: part.body.reversalId, deduped: true, amount: 30 });
    expect((await server.http.get(`${t.base}/${id}`).set(t.merchant).expect(200)).body).to.include({ reversedValue: 30, status: 'partially_reversed' });
    expect((await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200)).body.data[0]).to.include({ reversals: 1, netRevenue: 70 });

    const over = await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-2', amount: 70.01, reason: 'refund' }).expect(422);
    // How much remains: a merchant's conversions.write token cannot read the conversion to find out.
    expect(over.body.error).to.deep.equal({ code: 'over_reversal', message: "The reversal (70.01 EUR) is more than what remains of the conversion's value: 70.00 of its 100.00 EUR." });
    const rest = await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-3', reason: 'chargeback' }).expect(201);
    expect(rest.body.amount).to.equal(70);
    expect(rest.body.commissions.map((c: { type: string; status: string }) => [c.type, c.status]).sort()).to.deep.equal([['adjustment', 'reversed'], ['conversion', 'reversed']]);
    expect((await server.http.get(`${t.base}/${id}`).set(t.merchant).expect(200)).body).to.include({ reversedValue: 100, status: 'reversed' });
    expect((await server.http.get(`${t.base}?status=reversed`).set(t.merchant).expect(200)).body.data).to.have.length(1);
    expect((await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-4', reason: 'refund' }).expect(422)).body.error.message)
      .to.equal("The reversal is more than what remains of the conversion's value: nothing, all 100.00 EUR of it was reversed.");
    await t.reverse({ idempotencyKey: 'no-such-order', reversalKey: 'refund-5', reason: 'refund' }).expect(404);
    const precise = await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-6', amount: 0.005, reason: 'refund' }).expect(400);
    expect(precise.body.error.details[0].pointer).to.equal('/body/amount');
    // Below a cent's millionth, a tolerance in cents once took it for 0.00.
    const tiny = await t.reverse({ idempotencyKey: 'order-9', reversalKey: 'refund-7', amount: 9e-9, reason: 'refund' }).expect(400);
    expect(tiny.body.error.details[0].pointer).to.equal('/body/amount');

    const funnel = (await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200)).body;
    expect(funnel.data[0]).to.include({ conversions: 1, revenue: 100, reversals: 2, netRevenue: 0 });
    expect(funnel.data[0].netRevenueByCurrency).to.deep.equal({ EUR: 0 });
    expect(funnel.totals).to.include({ reversals: 2, netRevenue: 0 });

    const { rows: events } = await server.sql.query(`select payload from outbox_events where handle = $1 and type = 'conversion.reversed' order by created_at`, [t.handle]);
    expect(events.map((e) => e.payload.amount)).to.deep.equal([30, 70]);
    const { rows: audit } = await server.sql.query(`select count(*)::int as n from audit_events where handle = $1 and type = 'conversion.reversed'`, [t.handle]);
    expect(audit[0].n).to.equal(2);
  });

  it('reverses a conversion of value 0 (a flat-rate lead) whole, as one without a value: once, without an amount', async () => {
    const t = await setup(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/lead`).set(t.auth)
      .send({ scope: { partnerId: 'anna' }, event: 'affiliate_click', type: 'flat', amount: 5, currency: 'EUR', holdDays: 0 }).expect(201);
    for (const [key, value] of [['lead-zero', 0], ['lead-none', undefined]] as const) {
      const id = await t.convert(key, value);
      const cent = await t.reverse({ idempotencyKey: key, reversalKey: `${key}-cent`, amount: 0.01, reason: 'fraud' }).expect(422);
      expect(cent.body.error, key).to.deep.equal({ code: 'over_reversal', message: "The reversal is more than what remains of the conversion's value: it has none to split; reverse it whole, without an amount." });
      const whole = await t.reverse({ idempotencyKey: key, reversalKey: `${key}-all`, reason: 'fraud' }).expect(201);
      expect(whole.body.amount, key).to.equal(0);
      expect(whole.body.commissions.map((c: { type: string; amount: number; status: string }) => [c.type, c.amount, c.status]), key)
        .to.deep.equal([['conversion', 5, 'reversed']]);
      const again = await t.reverse({ idempotencyKey: key, reversalKey: `${key}-again`, reason: 'fraud' }).expect(422);
      expect(again.body.error, key).to.deep.equal({ code: 'over_reversal', message: "The reversal is more than what remains of the conversion's value: it has none, and was reversed whole already." });
      const { rows } = await server.sql.query(`select count(*)::int as n, sum(amount)::text as amount from commissions where conversion_id = $1 and status <> 'reversed'`, [id]);
      expect(rows[0], key).to.deep.equal({ n: 0, amount: null });
    }
  });

  it('answers a reversalKey reused for something else with the original, mismatch and an audit event, reversing nothing', async () => {
    const t = await setup(server);
    await t.convert('order-m1', 50);
    await t.convert('order-m2', 50);
    const first = await t.reverse({ idempotencyKey: 'order-m1', reversalKey: 'rv-m', amount: 5, reason: 'refund' }).expect(201);
    const same = await t.reverse({ idempotencyKey: 'order-m1', reversalKey: 'rv-m', amount: 5, reason: 'refund' }).expect(200);
    expect(same.body).to.include({ reversalId: first.body.reversalId, deduped: true });
    expect(same.body).to.not.have.property('mismatch');
    const other = await t.reverse({ idempotencyKey: 'order-m2', reversalKey: 'rv-m', amount: 2, reason: 'fraud', note: 'n' }).expect(200);
    expect(other.body).to.include({ reversalId: first.body.reversalId, deduped: true, mismatch: true, amount: 5, reason: 'refund' });
    const { rows } = await server.sql.query(`select type, subject_id, payload from audit_events where handle = $1 and type = 'conversion.reversal_mismatch'`, [t.handle]);
    expect(rows).to.have.length(1);
    expect(rows[0].subject_id).to.equal(first.body.reversalId);
    expect(rows[0].payload.changes).to.deep.equal({ idempotencyKey: 'order-m2', amount: 2, reason: 'fraud', note: 'n' });
    // Nothing was reversed by the repeats: order-m2 keeps its whole value.
    const m2 = (await server.http.get(`${t.base}?status=recorded`).set(t.merchant).expect(200)).body.data;
    expect(m2.map((c: { reversedValue: number }) => c.reversedValue)).to.deep.equal([0]);
  });

  it('also names the conversion by its conversionId (as the lists return it), never by both or neither', async () => {
    const t = await setup(server);
    const id = await t.convert('order-id1', 40);
    const byId = await t.reverse({ conversionId: id, reversalKey: 'rv-id', amount: 10, reason: 'chargeback' }).expect(201);
    expect(byId.body).to.include({ conversionId: id, amount: 10 });
    expect((await server.http.get(`${t.base}/${id}`).set(t.merchant).expect(200)).body).to.include({ reversedValue: 10, status: 'partially_reversed' });
    // The same reversalKey again by id: the original; by the key of the same conversion: the original, no mismatch.
    expect((await t.reverse({ conversionId: id, reversalKey: 'rv-id', amount: 10, reason: 'chargeback' }).expect(200)).body).to.include({ deduped: true });
    const byKey = await t.reverse({ idempotencyKey: 'order-id1', reversalKey: 'rv-id', amount: 10, reason: 'chargeback' }).expect(200);
    expect(byKey.body).to.not.have.property('mismatch');
    const other = await t.convert('order-id2', 40);
    expect((await t.reverse({ conversionId: other, reversalKey: 'rv-id', amount: 10, reason: 'chargeback' }).expect(200)).body).to.include({ mismatch: true });
    for (const body of [{ reversalKey: 'rv-none', reason: 'refund' }, { idempotencyKey: 'order-id1', conversionId: id, reversalKey: 'rv-both', reason: 'refund' }]) {
      const res = await t.reverse(body).expect(400);
      expect(res.body.error.details.map((d: { pointer: string }) => d.pointer)).to.deep.equal(['/body/idempotencyKey']);
    }
    // Another handle's conversion id, or none: 404, nothing reversed.
    const elsewhere = await setup(server);
    const foreign = await elsewhere.convert('order-x', 40);
    await t.reverse({ conversionId: foreign, reversalKey: 'rv-foreign', reason: 'refund' }).expect(404);
    await t.reverse({ conversionId: '00000000-0000-4000-8000-000000000000', reversalKey: 'rv-ghost', reason: 'refund' }).expect(404);
    expect((await server.http.get(`${elsewhere.base}/${foreign}`).set(elsewhere.merchant).expect(200)).body.reversedValue).to.equal(0);
  });

  it('takes back in parts exactly what the whole would: the parts sum to the rounded commission, never more', async () => {
    const t = await setup(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 12.5, holdDays: 30 }).expect(200);
    await t.convert('order-thirds', 3); // 12.5 % of 3.00 = 0.375 → 0.38
    const parts: number[] = [];
    for (const [key, amount] of [['third-1', 1], ['third-2', 1], ['third-3', 0.99]] as const) {
      const res = await t.reverse({ idempotencyKey: 'order-thirds', reversalKey: key, amount, reason: 'refund' }).expect(201);
      parts.push(...res.body.commissions.map((c: { amount: number }) => c.amount));
    }
    // round(0.38 × 1/3) = 0.13, round(0.38 × 2/3) = 0.25, round(0.38 × 2.99/3) = 0.38: the parts 0.13, 0.12, 0.13
    // (each part rounded alone: 0.13 three times, 0.39 taken back from 0.38).
    expect(parts).to.deep.equal([-0.13, -0.12, -0.13]);
    const last = await t.reverse({ idempotencyKey: 'order-thirds', reversalKey: 'third-4', reason: 'refund' }).expect(201);
    const { rows: [sum] } = await server.sql.query(
      `select sum(c.amount)::text as net from commissions c join conversions v using (conversion_id)
        where v.handle = $1 and v.idempotency_key = 'order-thirds' and c.status not in ('rejected', 'reversed')`, [t.handle]);
    expect(sum.net === null || Number(sum.net) === 0, `net ${sum.net} after ${JSON.stringify(last.body.commissions)}`).to.equal(true);
  });

  it('rounds each part exactly, half up, however large: never a cent from numeric division cut short', async () => {
    const t = await setup(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 12.34, holdDays: 30 }).expect(200);
    await t.convert('order-huge', 999999999999.99); // 12.34 % → 123400000000.00
    // 123400000000.00 × 996758508914.05 / 999999999999.99 = 122999999999.994999…: 122999999999.99, not 123000000000.00
    // (numeric's quotient keeps 8 decimals there, …99500000, which rounded up).
    const part = await t.reverse({ idempotencyKey: 'order-huge', reversalKey: 'huge-1', amount: 996758508914.05, reason: 'refund' }).expect(201);
    expect(part.body.commissions.map((c: { type: string; amount: number }) => [c.type, c.amount])).to.deep.equal([['adjustment', -122999999999.99]]);
    const rest = await t.reverse({ idempotencyKey: 'order-huge', reversalKey: 'huge-2', reason: 'refund' }).expect(201);
    expect(rest.body.commissions.map((c: { type: string; status: string }) => [c.type, c.status]).sort()).to.deep.equal([['adjustment', 'reversed'], ['conversion', 'reversed']]);
  });

  it('never reverses more than the value under concurrent reversals of one conversion', async () => {
    const t = await setup(server);
    const id = await t.convert('race', 50);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => t.reverse({ idempotencyKey: 'race', reversalKey: `r-${i}`, amount: 20, reason: 'refund' })));
    expect(answers.map((r) => r.status).sort()).to.deep.equal([201, 201, 422, 422, 422, 422, 422, 422]);
    expect((await server.http.get(`${t.base}/${id}`).set(t.merchant).expect(200)).body).to.include({ reversedValue: 40, status: 'partially_reversed' });
    const { rows } = await server.sql.query(`select sum(amount)::text as s from commissions where handle = $1`, [t.handle]);
    expect(rows[0].s).to.equal('1.00');
    // The same reversalKey raced: one reversal, the others answer it as deduped.
    const same = await Promise.all(Array.from({ length: 4 }, () => t.reverse({ idempotencyKey: 'race', reversalKey: 'same', amount: 5, reason: 'fraud' })));
    expect(same.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 201]);
    expect(new Set(same.map((r) => r.body.reversalId)).size).to.equal(1);
  });

  it('needs conversions.write to reverse and conversions.read to read', async () => {
    const t = await setup(server);
    const reader = await createToken(server, t.handle, t.ownerToken, ['conversions.read']);
    await server.http.post(`${t.base}/reversals`).set(reader.auth).send({ idempotencyKey: 'x', reversalKey: 'y', reason: 'refund' }).expect(403);
    const writer = await createToken(server, t.handle, t.ownerToken, ['campaigns.read']);
    await server.http.get(t.base).set(writer.auth).expect(403);
  });
});
