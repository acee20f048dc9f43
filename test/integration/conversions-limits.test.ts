import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { CONVERSIONS, clickThrough, codec, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';
import { storedClicks } from '../support/redirect.ts';
import { reconcile } from '../../core/analytics/reconcile.ts';

// Issue 12 items 2 and 3: what one ctx may claim (currency, value, how many), and what counts as verified.
describe('issue 12: conversion limits and verified conversions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { MAX_CONVERSIONS_PER_CLICK: '3' } });
  });
  after(async () => server?.close());

  const funnel = async (handle: string, auth: { Authorization: string }) =>
    (await server.http.get(`/v2/handles/${handle}/analytics?funnel=true`).set(auth).expect(200)).body.data[0];

  it('refuses a currency that is not ISO-4217 (ZZZ, XXX, XTS, lower case) with 400 at /body/currency', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    for (const currency of ['ZZZ', 'XXX', 'XTS', 'usd', 'ABC']) {
      const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 1, currency, idempotencyKey: `c-${currency}` }).expect(400);
      expect(res.body.error.details.map((d: { pointer: string }) => d.pointer), currency).to.include('/body/currency');
    }
    for (const currency of ['USD', 'EUR', 'JPY', 'CHF']) {
      const fresh = (await storedClick(server, handle, campaignId)).ctx;
      await server.http.post(CONVERSIONS).send({ ctx: fresh, eventType: 'sale', value: 1, currency, idempotencyKey: `c-${currency}` }).expect(201);
    }
    const badHandle = await server.http.post('/v2/handles').set(server.admin()).send({ handle: 'zzz-money', name: 'x', reportingCurrency: 'ZZZ' }).expect(400);
    expect(badHandle.body.error.details[0].pointer).to.equal('/body/reportingCurrency');
  });

  it("refuses a value above the campaign's maxConversionValue with 422 value_out_of_range; PATCH changes it at once", async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server, { maxConversionValue: 100 });
    const path = `/v2/handles/${handle}/campaigns/${campaignId}`;
    expect((await server.http.get(path).set(auth).expect(200)).body.maxConversionValue).to.equal(100);
    const { ctx } = await storedClick(server, handle, campaignId);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 100, idempotencyKey: 'at-max' }).expect(201);
    const over = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 100.01, currency: 'EUR', idempotencyKey: 'over' }).expect(422);
    expect(over.body.error.code).to.equal('value_out_of_range');
    await server.http.patch(path).set(auth).send({ maxConversionValue: -1 }).expect(400);
    // Money like the values it bounds: a third fraction digit is refused, not rounded (numeric(14, 2)).
    for (const v of [100.005, 9e-9]) {
      const res = await server.http.patch(path).set(auth).send({ maxConversionValue: v }).expect(400);
      expect(res.body.error.details[0]).to.include({ pointer: '/body/maxConversionValue' });
    }
    const made = await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth)
      .send({ campaignId: 'precise', goalType: 'SALE', status: 'ACTIVE', maxConversionValue: 0.001, primaryLink: { slug: 'precise', destinationUrl: 'https://shop.example.com/p' } });
    expect(made.status).to.equal(400);
    expect(made.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/body/maxConversionValue');
    expect((await server.http.patch(path).set(auth).send({ maxConversionValue: 1000 }).expect(200)).body.maxConversionValue).to.equal(1000);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 100.01, idempotencyKey: 'over' }).expect(201);
    await server.http.patch(path).set(auth).send({ maxConversionValue: null }).expect(200);
    await server.http.post(CONVERSIONS).send({ ctx: (await storedClick(server, handle, campaignId)).ctx, eventType: 'sale', value: 999_999, idempotencyKey: 'unbounded' }).expect(201);
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(3);
  });

  it('lets one click back at most MAX_CONVERSIONS_PER_CLICK conversions per event type, across concurrent requests on two processes', async () => {
    const second = await startTestServer({ db: server.db, env: { MAX_CONVERSIONS_PER_CLICK: '3' } });
    try {
      const { handle, campaignId } = await partnerCampaign(server);
      const { ctx } = await storedClick(server, handle, campaignId);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? second : server).http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 10, idempotencyKey: `burst-${i}` })));
      expect(results.filter((r) => r.status === 201)).to.have.length(3);
      const refused = results.filter((r) => r.status === 422);
      expect(refused).to.have.length(17);
      expect(new Set(refused.map((r) => r.body.error.code))).to.deep.equal(new Set(['too_many_conversions_for_click']));
      expect(await count(server, "conversions where handle = $1 and event_type = 'sale'", [handle])).to.equal(3);
      expect(await count(server, 'idempotency_keys where handle = $1', [handle]), 'a refused key stays free').to.equal(3);

      // A repeat of an accepted key is still a repeat, not a refusal; another event type has its own budget.
      const accepted = results.find((r) => r.status === 201)!;
      const key = `burst-${results.indexOf(accepted)}`;
      await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 10, idempotencyKey: key }).expect(200);
      await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'click-1' }).expect(201);
      const rollup = await server.sql.query('select sum(conversions)::int as n from conversion_rollups where handle = $1', [handle]);
      expect(rollup.rows[0].n).to.equal(4);
    } finally {
      await second.close();
    }
  });

  it("keeps ctx-only submissions to a budget of their own: a visitor's ctx never spends the merchant's (flag, the default)", async () => {
    const { handle, campaignId, ownerToken } = await partnerCampaign(server, { publicConversions: 'flag' });
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const { ctx } = await storedClick(server, handle, campaignId);
    const spam = await Promise.all(Array.from({ length: 6 }, (_, i) => server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 1, idempotencyKey: `spam-${i}` })));
    expect(spam.map((r) => r.status).sort()).to.deep.equal([201, 201, 201, 422, 422, 422]);
    // The merchant's real orders still have the click's whole budget (3), and no more.
    const orders = await Promise.all(Array.from({ length: 4 }, (_, i) => server.http.post(CONVERSIONS).set(merchant.auth).send({ ctx, eventType: 'sale', value: 99, idempotencyKey: `order-${i}` })));
    expect(orders.map((r) => r.status).sort()).to.deep.equal([201, 201, 201, 422]);
    expect(orders.filter((r) => r.status === 201).every((r) => r.body.authenticated === true)).to.equal(true);
    const { rows } = await server.sql.query('select authenticated, count(*)::int as n from conversions where handle = $1 group by 1 order by 1', [handle]);
    expect(rows).to.deep.equal([{ authenticated: false, n: 3 }, { authenticated: true, n: 3 }]);
  });

  it("HEAD answers like GET, ctx included, but records no click: its ctx never verifies a conversion; GET's ctx from curl is a bot click, never verified", async () => {
    const { handle, auth, slug, ownerToken } = await partnerCampaign(server, { publicConversions: 'accept' });
    const curl = { 'user-agent': 'curl/8.5.0' };
    const head = await server.http.head(`/${handle}/${slug}`).set(curl).expect(302);
    const headCtx = new URL(head.headers.location).searchParams.get('ctx');
    expect(headCtx, head.headers.location).to.be.a('string');
    expect(head.headers.location).to.equal(`https://merchant.example.com/product?ref=partner-alpha&ctx=${headCtx}`);
    const fromHead = await server.http.post(CONVERSIONS).send({ ctx: headCtx, eventType: 'sale', value: 5, idempotencyKey: 'curl-head' }).expect(201);
    expect(fromHead.body.authenticated).to.equal(false);
    expect((await server.sql.query('select verified from conversions where handle = $1', [handle])).rows).to.deep.equal([{ verified: false }]);
    // Posted by the merchant's server, with a partner and a reward: its commission waits for a person (no bot check ran).
    await server.http.post(`/v2/handles/${handle}/partners`).set(auth).send({ partnerId: 'anna', name: 'Anna' }).expect(201);
    await server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ partnerId: 'anna' }).expect(200);
    await server.http.put(`/v2/handles/${handle}/rewards/sale`).set(auth).send({ scope: {}, event: 'sale', type: 'percent', percent: 10, holdDays: 0 }).expect(201);
    const merchant = await createToken(server, handle, ownerToken, ['conversions.write']);
    const again = await server.http.head(`/${handle}/${slug}`).set(curl).expect(302);
    const merchantHead = new URL(again.headers.location).searchParams.get('ctx');
    const posted = await server.http.post(CONVERSIONS).set(merchant.auth).send({ ctx: merchantHead, eventType: 'sale', value: 50, idempotencyKey: 'merchant-head' }).expect(201);
    const { rows: earned } = await server.sql.query('select status, auto_approve from commissions where conversion_id = $1', [posted.body.conversionId]);
    expect(earned).to.deep.equal([{ status: 'pending', auto_approve: false }]);

    const get = await server.http.get(`/${handle}/${slug}`).set(curl).redirects(0).expect(302);
    const ctx = new URL(get.headers.location).searchParams.get('ctx')!;
    await storedClicks(server, handle, 1);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 5, idempotencyKey: 'curl-get' }).expect(201);
    expect(await funnel(handle, auth)).to.include({ clicks: 1, qualifiedClicks: 0, conversions: 3, verifiedConversions: 0 });
  });

  it("reconciles a handle with a HEAD's conversion: a note, not a mismatch (the export has no click row to show it on)", async () => {
    const { handle, slug } = await partnerCampaign(server);
    const browser = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', accept: 'text/html', 'accept-language': 'en' };
    const ctxOf = (location: string) => new URL(location).searchParams.get('ctx')!;
    const head = ctxOf((await server.http.head(`/${handle}/${slug}`).set(browser).expect(302)).headers.location);
    const get = await clickThrough(server, handle, slug);
    await storedClicks(server, handle, 1);
    await server.http.post(CONVERSIONS).send({ ctx: head, eventType: 'affiliate_click', value: 5, currency: 'USD', idempotencyKey: 'by-head' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: get, eventType: 'affiliate_click', value: 7, currency: 'USD', idempotencyKey: 'by-get' }).expect(201);
    const report = await reconcile(server.sql, handle);
    expect(report.mismatches).to.deep.equal([]);
    expect(report.notes).to.have.length(1);
    expect(report.notes[0]).to.match(/^1 conversion\(s\) have no stored click/);
    expect([report.raw.conversions, report.export.conversions, report.funnel.conversions]).to.deep.equal([2, 1, 2]);
  });

  it('does not verify a conversion whose click row is not found after the wait (a HEAD ctx, a lost click)', async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server, { publicConversions: 'accept' });
    // A validly signed ctx naming a click that was never recorded.
    const ctx = codec(server).sign({ clickId: uuidv7(), handle, campaignId, issuedAt: new Date(), windowDays: 30 });
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 5, idempotencyKey: 'no-click' }).expect(201);
    expect(res.body.authenticated).to.equal(false);
    const { rows } = await server.sql.query('select verified from conversions where handle = $1', [handle]);
    expect(rows).to.deep.equal([{ verified: false }]);
    expect(await funnel(handle, auth)).to.include({ conversions: 1, verifiedConversions: 0 });
  });

  it('names implausible_conversions_per_click in the funnel when a campaign has over 3 conversions per qualified click', async () => {
    const { handle, auth, slug } = await partnerCampaign(server);
    const ctx = await clickThrough(server, handle, slug);
    await storedClicks(server, handle, 1);
    for (const eventType of ['sale', 'affiliate_click']) {
      for (let i = 0; i < 2; i++) await server.http.post(CONVERSIONS).send({ ctx, eventType, idempotencyKey: `${eventType}-${i}` }).expect(201);
    }
    const row = await funnel(handle, auth);
    expect(row).to.include({ qualifiedClicks: 1, conversions: 4 });
    expect(row.confidenceReasons).to.include.members(['conversions_exceed_qualified_clicks', 'implausible_conversions_per_click']);
  });
});
