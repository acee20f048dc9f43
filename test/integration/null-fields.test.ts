import { expect } from 'chai';
import { CONVERSIONS, serverWithPartnerCampaign, storedClick } from '../support/conversions.ts';

// Answers print an absent optional field as null (`"expiresAt": null`, `"value": null`); a client echoing that back in a
// creation got 400 "must be string". Where a route names such fields (RouteDef.nullMeansAbsent: a token's expiry, a
// conversion's value, currency and metadata, a reward rule's), null is taken as not sent; nowhere else (a reversal's
// amount or a payout run's partners sent as null would otherwise mean "all"). A required field is still required.
describe('null for an optional field in a creation', () => {
  const s = serverWithPartnerCampaign();

  it('takes a token with "expiresAt": null as one that never expires', async () => {
    const res = await s.server.http.post(`/v2/handles/${s.t.handle}/tokens`).set(s.t.auth).send({ name: 'forever', scopes: ['campaigns.read'], expiresAt: null }).expect(201);
    expect(res.body.expiresAt).to.equal(null);
    await s.server.http.get(`/v2/handles/${s.t.handle}/campaigns`).set({ Authorization: `Bearer ${res.body.token}` }).expect(200);
  });

  it('records a conversion sent with "value": null, "currency": null and "metadata": null as one without them', async () => {
    const { ctx } = await storedClick(s.server, s.t.handle, s.t.campaignId);
    const res = await s.server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'nulls-1', value: null, currency: null, metadata: null }).expect(201);
    expect(res.body).to.include({ value: null, currency: null });
    const { rows } = await s.server.sql.query('select value, currency from conversions where handle = $1 and idempotency_key = $2', [s.t.handle, 'nulls-1']);
    expect(rows).to.deep.equal([{ value: null, currency: null }]);
  });

  it("takes a percent rule's \"amount\": null and \"currency\": null as not sent", async () => {
    const res = await s.server.http.put(`/v2/handles/${s.t.handle}/rewards/pct`).set(s.t.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, amount: null, currency: null, holdDays: null });
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
    expect(res.body).to.include({ type: 'percent', percent: 10, holdDays: 30 });
  });

  it('never takes null as "all" where a missing field means all: a reversal\'s amount, a payout run\'s partners (400, nothing moved)', async () => {
    const { ctx } = await storedClick(s.server, s.t.handle, s.t.campaignId);
    await s.server.http.post(CONVERSIONS).set(s.t.auth).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'order-null', value: 100, currency: 'USD' }).expect(201);
    const reversal = await s.server.http.post(`/v2/handles/${s.t.handle}/conversions/reversals`).set(s.t.auth)
      .send({ idempotencyKey: 'order-null', reversalKey: 'r-null', amount: null, reason: 'refund' }).expect(400);
    expect(reversal.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/body/amount');
    const { rows } = await s.server.sql.query('select count(*)::int as n from conversion_reversals where handle = $1', [s.t.handle]);
    expect(rows[0].n).to.equal(0);
    const run = await s.server.http.post(`/v2/handles/${s.t.handle}/payouts`).set(s.t.auth).send({ idempotencyKey: 'run-null', partnerIds: null }).expect(400);
    expect(run.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/body/partnerIds');
  });

  it('says so in the OpenAPI document: null in those fields, and nowhere else', async () => {
    const doc = (await s.server.http.get('/v2/openapi.json').expect(200)).body;
    const body = (path: string, method: string) => {
      let schema = doc.paths[path][method].requestBody.content['application/json'].schema;
      if (schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()];
      return schema.properties as Record<string, { type?: string | string[] }>;
    };
    expect(body('/v2/handles/{handle}/tokens', 'post').expiresAt.type).to.include('null');
    const conversion = body('/v2/public/conversions', 'post');
    for (const name of ['value', 'currency', 'metadata']) expect(conversion[name].type, name).to.include('null');
    expect(conversion.idempotencyKey.type).to.not.include('null');
    expect(body('/v2/handles/{handle}/conversions/reversals', 'post').amount.type).to.not.include('null');
  });

  it('still refuses null for a required field, and in a PATCH for a field that cannot be cleared', async () => {
    const token = await s.server.http.post(`/v2/handles/${s.t.handle}/tokens`).set(s.t.auth).send({ name: null, scopes: ['campaigns.read'] }).expect(400);
    expect(token.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/body/name');
    const patch = await s.server.http.patch(`/v2/handles/${s.t.handle}/campaigns/${s.t.campaignId}`).set(s.t.auth).send({ status: null }).expect(400);
    expect(patch.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/body/status');
    // What may be cleared still is: a campaign's title.
    const cleared = await s.server.http.patch(`/v2/handles/${s.t.handle}/campaigns/${s.t.campaignId}`).set(s.t.auth).send({ title: null }).expect(200);
    expect(cleared.body.primaryLink.title).to.equal(null);
  });
});
