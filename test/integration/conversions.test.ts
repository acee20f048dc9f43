import { expect } from 'chai';
import { bodyHash } from '../../core/conversions/body-hash.ts';
import { createCtxCodec } from '../../core/redirect/ctx-token.ts';
import { CONVERSIONS, clickThrough, codec, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

describe('workflow 2: idempotent conversions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('records a conversion for a redirect ctx once, then answers every repeat with the original (deduped)', async () => {
    const { handle, auth, campaignId, slug } = await partnerCampaign(server);
    const ctx = await clickThrough(server, handle, slug, { 'cf-ipcountry': 'FR', referer: 'https://t.co/abc' });
    const body = { ctx, eventType: 'affiliate_click', value: 24.99, currency: 'USD', idempotencyKey: 'txn-2026-02-25-order-789' };
    // Outbox events are written for the handle's subscriptions (below): subscribe to both.
    await server.http.post(`/v2/handles/${handle}/webhooks`).set(auth)
      .send({ endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['conversion.tested', 'conversion.deduped'] }).expect(201);

    const first = await server.http.post(CONVERSIONS).send(body).expect(201);
    expect(first.body).to.include({ deduped: false, campaignId, eventType: 'affiliate_click', value: 24.99, currency: 'USD' });
    expect(first.body).to.have.all.keys('conversionId', 'deduped', 'clickId', 'campaignId', 'eventType', 'value', 'currency', 'authenticated',
      'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'createdAt');
    expect(first.body.authenticated, 'posted with the ctx alone').to.equal(false);
    expect(first.body.createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const again = await server.http.post(CONVERSIONS).send(body).expect(200);
    expect(again.body).to.deep.equal({ ...first.body, deduped: true });

    // Attribution: the click's country and source, copied from the clicks row the redirect wrote.
    const { rows } = await server.sql.query('select * from conversions where handle = $1', [handle]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ click_id: first.body.clickId, campaign_id: campaignId, country: 'FR', source: 'twitter', click_is_bot: false });
    expect(await count(server, 'clicks where click_id = $1', [first.body.clickId])).to.equal(1);

    // Audit trail (analytics.read) lists both, filterable by type and campaign.
    const reader = await createToken(server, handle, auth.Authorization.slice(7), ['audit.read']);
    const created = await server.http.get(`/v2/handles/${handle}/audit-events?type=conversion.created&campaignId=${campaignId}`).set(reader.auth).expect(200);
    expect(created.body.data).to.have.length(1);
    expect(created.body.data[0]).to.include({ actor: 'public', campaignId, subjectId: first.body.conversionId });
    expect(created.body.data[0].payload).to.include({ idempotencyKey: body.idempotencyKey, value: 24.99, country: 'FR', clickIsBot: false });
    const deduped = await server.http.get(`/v2/handles/${handle}/audit-events?type=conversion.deduped`).set(reader.auth).expect(200);
    expect(deduped.body.data).to.have.length(1);

    // Webhook outbox: conversion.tested for the new one, conversion.deduped for the repeat.
    const outbox = await server.sql.query('select type, payload from outbox_events where handle = $1 and type like $2 order by created_at, type', [handle, 'conversion.%']);
    expect(outbox.rows.map((r) => r.type)).to.deep.equal(['conversion.tested', 'conversion.deduped']);
    expect(outbox.rows[0].payload).to.deep.equal({
      clickId: first.body.clickId, campaignId, conversionId: first.body.conversionId, value: 24.99, currency: 'USD', eventType: 'affiliate_click',
      authenticated: false,
    });

    const rollup = await server.sql.query('select * from conversion_rollups where handle = $1', [handle]);
    expect(rollup.rows).to.have.length(1);
    expect(rollup.rows[0]).to.include({ conversions: 1, verified_conversions: 1, value: 24.99, currency: 'USD' });
    // And in the campaign's hourly rollup, in the hour it was recorded.
    const hourly = await server.sql.query(
      `select campaign_id, hour = date_trunc('hour', $2::timestamptz, 'UTC') as same_hour, currency, conversions, verified_conversions,
              unauthenticated_conversions, value from funnel_conversion_hours where handle = $1`,
      [handle, first.body.createdAt],
    );
    expect(hourly.rows).to.deep.equal([
      { campaign_id: campaignId, same_hour: true, currency: 'USD', conversions: 1, verified_conversions: 1, unauthenticated_conversions: 1, value: 24.99 },
    ]);
    // The click's dimensions are in the per-dimension rollups (one row each, per campaign and for the whole handle).
    for (const table of ['analytics_dimension_conversion_days', 'analytics_handle_dimension_conversion_days']) {
      const dims = await server.sql.query(`select dimension, key, conversions, value from ${table} where handle = $1 order by dimension`, [handle]);
      expect(dims.rows.filter((r) => ['country', 'source'].includes(r.dimension)), table).to.deep.equal([
        { dimension: 'country', key: 'FR', conversions: 1, value: 24.99 },
        { dimension: 'source', key: 'twitter', conversions: 1, value: 24.99 },
      ]);
    }
  });

  it('creates exactly one conversion from 200 concurrent identical submissions', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const body = { ctx, eventType: 'sale', value: 99.5, currency: 'EUR', idempotencyKey: 'order-concurrent-1' };
    const results = await Promise.all(Array.from({ length: 200 }, () => server.http.post(CONVERSIONS).send(body)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).to.have.length(1);
    expect(statuses.filter((s) => s === 200)).to.have.length(199);
    expect(new Set(results.map((r) => r.body.conversionId)).size).to.equal(1);
    expect(results.filter((r) => r.body.deduped === true)).to.have.length(199);
    expect(results.some((r) => r.body.mismatch)).to.equal(false);
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(1);
    expect(await count(server, 'idempotency_keys where handle = $1', [handle])).to.equal(1);
    expect(await count(server, "audit_events where handle = $1 and type = 'conversion.created'", [handle])).to.equal(1);
    expect(await count(server, "audit_events where handle = $1 and type = 'conversion.deduped'", [handle])).to.equal(199);
    const { rows } = await server.sql.query('select sum(conversions)::int as n, sum(value) as v from conversion_rollups where handle = $1', [handle]);
    expect(rows[0]).to.deep.equal({ n: 1, v: 99.5 });
  });

  it('keeps keys and metadata byte for byte through one claim batch: quotes, backslashes, braces, commas, "NULL", unicode', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const keys = ['order "7"', 'back\\slash\\', '{a,b}', 'NULL', ' spaced ', 'é 漢字 🙂', 'x'.repeat(255)];
    const bodyOf = (key: string, i: number) => ({
      ctx, eventType: 'sale', value: i === 0 ? 0.1 : 1234.5, currency: 'EUR', idempotencyKey: key,
      metadata: { note: `say "hi" \\ {${key}}`, list: [1, null, 'NULL'], nested: { k: key } },
    });
    // At once, so they share claim statements (one array literal per column for several keys).
    const first = await Promise.all(keys.map((k, i) => server.http.post(CONVERSIONS).send(bodyOf(k, i))));
    expect(first.map((r) => r.status)).to.deep.equal(keys.map(() => 201));
    const again = await Promise.all(keys.map((k, i) => server.http.post(CONVERSIONS).send(bodyOf(k, i))));
    expect(again.map((r) => [r.status, r.body.deduped, r.body.mismatch ?? false])).to.deep.equal(keys.map(() => [200, true, false]));
    const { rows } = await server.sql.query('select idempotency_key, metadata, value from conversions where handle = $1', [handle]);
    const stored = new Map(rows.map((r) => [r.idempotency_key, r]));
    expect([...stored.keys()].sort()).to.deep.equal([...keys].sort());
    keys.forEach((k, i) => {
      expect(stored.get(k).metadata, k).to.deep.equal(bodyOf(k, i).metadata);
      expect(Number(stored.get(k).value), k).to.equal(i === 0 ? 0.1 : 1234.5);
    });
  });

  it('rolls a burst of conversions in several currencies into one hourly row per campaign, hour and currency, equal to the raw sums', async () => {
    const { handle, campaignId } = await partnerCampaign(server, { reportingCurrency: 'GBP' });
    const currencies = ['USD', 'EUR', undefined, 'USD', 'EUR', 'USD'];
    const bodies = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      const { ctx } = await storedClick(server, handle, campaignId, { isBot: i % 5 === 0 });
      const currency = currencies[i % currencies.length];
      return { ctx, eventType: 'sale', idempotencyKey: `burst-${i}`, ...(currency && { currency, value: 1.25 * (i + 1) }) };
    }));
    const results = await Promise.all(bodies.map((b) => server.http.post(CONVERSIONS).send(b)));
    expect(results.map((r) => r.status)).to.deep.equal(bodies.map(() => 201));
    const cols = 'campaign_id, hour, currency, conversions, verified_conversions, unauthenticated_conversions, value';
    const hourly = await server.sql.query(`select ${cols} from funnel_conversion_hours where handle = $1 order by 1, 2, 3`, [handle]);
    // A conversion without a currency counts in the reporting currency (GBP), with value 0.
    const raw = await server.sql.query(
      `select campaign_id, date_trunc('hour', created_at, 'UTC') as hour, coalesce(currency, 'GBP') as currency, count(*)::int as conversions,
              (count(*) filter (where verified))::int as verified_conversions, (count(*) filter (where not authenticated))::int as unauthenticated_conversions,
              coalesce(sum(value), 0)::float as value
         from conversions where handle = $1 group by 1, 2, 3 order by 1, 2, 3`,
      [handle],
    );
    expect(hourly.rows).to.deep.equal(raw.rows);
    expect(hourly.rows.map((r) => r.currency)).to.include.members(['EUR', 'GBP', 'USD']);
    expect(hourly.rows.reduce((n, r) => n + r.conversions, 0)).to.equal(24);
    expect(hourly.rows.reduce((n, r) => n + r.verified_conversions, 0)).to.equal(19);
    // The same sums as the daily rollup, day by day.
    const days = await server.sql.query(
      `select campaign_id, day, currency, conversions, verified_conversions, unauthenticated_conversions, value from conversion_rollups where handle = $1 order by 1, 2, 3`,
      [handle],
    );
    const summed = await server.sql.query(
      `select campaign_id, (hour at time zone 'UTC')::date as day, currency, sum(conversions)::int as conversions, sum(verified_conversions)::int as verified_conversions,
              sum(unauthenticated_conversions)::int as unauthenticated_conversions, sum(value)::float as value
         from funnel_conversion_hours where handle = $1 group by 1, 2, 3 order by 1, 2, 3`,
      [handle],
    );
    expect(summed.rows).to.deep.equal(days.rows);
  });

  it('creates exactly one conversion when the same submissions hit two server processes sharing the database', async () => {
    const second = await startTestServer({ db: server.db });
    try {
      const { handle, campaignId } = await partnerCampaign(server);
      const { ctx } = await storedClick(server, handle, campaignId);
      const body = { ctx, eventType: 'affiliate_click', idempotencyKey: 'order-two-processes' };
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? second : server).http.post(CONVERSIONS).send(body)));
      expect(results.filter((r) => r.status === 201)).to.have.length(1);
      expect(results.filter((r) => r.status === 200 && r.body.deduped === true)).to.have.length(199);
      expect(new Set(results.map((r) => r.body.conversionId)).size).to.equal(1);
      expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(1);
    } finally {
      await second.close();
    }
  });

  it('flags a repeat whose body differs (mismatch) and records a conversion.mismatch audit event with the changes', async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const body = { ctx, eventType: 'affiliate_click', value: 24.99, currency: 'USD', idempotencyKey: 'order-42', metadata: { sku: 'A1', qty: 1 } };
    const first = await server.http.post(CONVERSIONS).send(body).expect(201);
    // Same facts in another key order and 24.990: not a mismatch.
    const same = await server.http.post(CONVERSIONS).send({ metadata: { qty: 1, sku: 'A1' }, idempotencyKey: 'order-42', currency: 'USD', value: 24.990, eventType: 'affiliate_click', ctx }).expect(200);
    expect(same.body).to.not.have.property('mismatch');
    const changed = await server.http.post(CONVERSIONS).send({ ...body, value: 30 }).expect(200);
    expect(changed.body).to.deep.equal({ ...first.body, deduped: true, mismatch: true });
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(1);
    const audit = await server.http.get(`/v2/handles/${handle}/audit-events?type=conversion.mismatch`).set(auth).expect(200);
    expect(audit.body.data).to.have.length(1);
    expect(audit.body.data[0].payload).to.include({ conversionId: first.body.conversionId, idempotencyKey: 'order-42', mismatch: true });
    expect(audit.body.data[0].payload.changes).to.deep.equal({ value: { original: 24.99, submitted: 30 } });
  });

  it('reads metadata {} as none: a repeat with {} of a body without metadata, or the reverse, is no mismatch (an original hashed with {} before too)', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const body = { ctx, eventType: 'affiliate_click', value: 10, currency: 'USD', idempotencyKey: 'meta-1' };
    const first = await server.http.post(CONVERSIONS).send(body).expect(201);
    // It read as a mismatch (a conversion.mismatch audit event), for the same sale.
    expect((await server.http.post(CONVERSIONS).send({ ...body, metadata: {} }).expect(200)).body).to.not.have.property('mismatch');
    // An original recorded with {} before this: its stored hash is the one of {}. Either repeat is the same body.
    const claims = codec(server).verify(ctx);
    if (!claims.ok) throw new Error('the ctx does not verify');
    const legacy = bodyHash({ claims: claims.claims, eventType: 'affiliate_click', value: 10, currency: 'USD', metadata: {} });
    await server.sql.query('update conversions set body_hash = $2 where conversion_id = $1', [first.body.conversionId, legacy]);
    for (const repeat of [body, { ...body, metadata: {} }]) {
      expect((await server.http.post(CONVERSIONS).send(repeat).expect(200)).body, JSON.stringify(repeat)).to.not.have.property('mismatch');
    }
    // Metadata that says something still differs.
    expect((await server.http.post(CONVERSIONS).send({ ...body, metadata: { sku: 'A1' } }).expect(200)).body.mismatch).to.equal(true);
    expect(await count(server, "audit_events where handle = $1 and type = 'conversion.mismatch'", [handle])).to.equal(1);
  });

  it('lists conversion audit events newest first, by time window and page by page', async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const before = new Date().toISOString();
    for (const key of ['a-1', 'a-2', 'a-3']) await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 1, idempotencyKey: key }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 1, idempotencyKey: 'a-1' }).expect(200);
    const list = (q: string, campaign = campaignId) => server.http.get(`/v2/handles/${handle}/audit-events?campaignId=${campaign}&${q}`).set(auth).expect(200);
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await list(`limit=2${cursor && `&cursor=${cursor}`}`);
      seen.push(...page.body.data.map((e: { type: string; payload: { idempotencyKey?: string } }) => [e.type, e.payload.idempotencyKey].filter(Boolean).join(':')));
      cursor = page.body.nextCursor ?? '';
    } while (cursor);
    expect(seen).to.deep.equal(['conversion.deduped:a-1', 'conversion.created:a-3', 'conversion.created:a-2', 'conversion.created:a-1', 'campaign.created']);
    expect((await list(`from=${encodeURIComponent(before)}&type=conversion.created`)).body.data).to.have.length(3);
    expect((await list(`to=${encodeURIComponent(before)}&type=conversion.created`)).body.data).to.have.length(0);
    expect((await list('type=conversion.created', 'partner-other')).body.data).to.have.length(0);
  });

  it("answers a retry of a recorded conversion with the original even when it would be refused now (cap, event type, expired ctx)", async () => {
    const { handle, auth, campaignId } = await partnerCampaign(server);
    const { clickId, ctx } = await storedClick(server, handle, campaignId);
    const body = { ctx, eventType: 'affiliate_click', value: 50, currency: 'USD', idempotencyKey: 'retry-1' };
    const first = await server.http.post(CONVERSIONS).send(body).expect(201);
    await server.http.patch(`/v2/handles/${handle}/campaigns/${campaignId}`).set(auth).send({ maxConversionValue: 10 }).expect(200);
    // The byte-identical retry: the original, not value_out_of_range.
    expect((await server.http.post(CONVERSIONS).send(body).expect(200)).body).to.deep.equal({ ...first.body, deduped: true });
    // A retry that differs and would be refused: the original, flagged and audited.
    const bogus = await server.http.post(CONVERSIONS).send({ ...body, eventType: 'bogus' }).expect(200);
    expect(bogus.body).to.deep.equal({ ...first.body, deduped: true, mismatch: true });
    const audit = await server.http.get(`/v2/handles/${handle}/audit-events?type=conversion.mismatch`).set(auth).expect(200);
    expect(audit.body.data[0].payload.changes).to.deep.equal({ eventType: { original: 'affiliate_click', submitted: 'bogus' } });
    // The same click's ctx after its window: the original again.
    const late = codec(server).sign({ clickId, handle, campaignId, issuedAt: new Date(Date.now() - 31 * 86_400_000), windowDays: 30 });
    expect((await server.http.post(CONVERSIONS).send({ ...body, ctx: late }).expect(200)).body).to.include({ conversionId: first.body.conversionId, deduped: true });
    // A new key is still refused for each reason.
    expect((await server.http.post(CONVERSIONS).send({ ...body, idempotencyKey: 'retry-2' }).expect(422)).body.error.code).to.equal('value_out_of_range');
    expect((await server.http.post(CONVERSIONS).send({ ...body, value: 5, eventType: 'bogus', idempotencyKey: 'retry-3' }).expect(422)).body.error.code).to.equal('event_type_not_allowed');
    expect((await server.http.post(CONVERSIONS).send({ ...body, value: 5, ctx: late, idempotencyKey: 'retry-4' }).expect(422)).body.error.code).to.equal('ctx_expired');
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(1);
  });

  it('rejects forged, tampered, malformed and expired ctx tokens with 422', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const post = (c: string) => server.http.post(CONVERSIONS).send({ ctx: c, eventType: 'affiliate_click', idempotencyKey: `k-${c.slice(-8)}` });
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const forged = createCtxCodec(['an-attackers-own-secret-key']).sign({ clickId: '01900000-0000-7000-8000-000000000000', handle, campaignId, issuedAt: new Date(), windowDays: 30 });
    for (const bad of [forged, flip(ctx, 5), flip(ctx, ctx.length - 3), 'not-a-ctx', 'A'.repeat(60), ctx.slice(0, -4)]) {
      const res = await post(bad).expect(422);
      expect(res.body.error.code).to.equal('invalid_ctx');
    }
    const old = await storedClick(server, handle, campaignId, { issuedAt: new Date(Date.now() - 31 * 86_400_000), windowDays: 30 });
    const expired = await post(old.ctx).expect(422);
    expect(expired.body.error.code).to.equal('ctx_expired');
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(0);
  });

  it('keeps tenants apart: a ctx of handle A records only in A and cannot name a campaign of handle B', async () => {
    const a = await partnerCampaign(server);
    const b = await partnerCampaign(server, { campaignId: 'partner-beta', slug: 'deal-beta' });
    const onlyInB = await storedClick(server, a.handle, b.campaignId, { store: false });
    expect((await server.http.post(CONVERSIONS).send({ ctx: onlyInB.ctx, eventType: 'affiliate_click', idempotencyKey: 'x-1' }).expect(422)).body.error.code).to.equal('invalid_ctx');

    // Rewriting the handle inside a valid token breaks its signature.
    const { ctx } = await storedClick(server, a.handle, a.campaignId);
    const raw = Buffer.from(ctx, 'base64url');
    const at = raw.indexOf(Buffer.from(a.handle));
    Buffer.from(b.handle).copy(raw, at);
    const rewritten = await server.http.post(CONVERSIONS).send({ ctx: raw.toString('base64url'), eventType: 'affiliate_click', idempotencyKey: 'x-2' }).expect(422);
    expect(rewritten.body.error.code).to.equal('invalid_ctx');

    // The same idempotency key (any printable characters, stored exactly) is independent per handle.
    const key = 'order {7}, "quoted" \\ back\\slash é 🎉';
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: key }).expect(201);
    const inB = await storedClick(server, b.handle, b.campaignId);
    await server.http.post(CONVERSIONS).send({ ctx: inB.ctx, eventType: 'affiliate_click', idempotencyKey: key }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: inB.ctx, eventType: 'affiliate_click', idempotencyKey: key }).expect(200);
    expect(await count(server, 'conversions where handle = $1 and idempotency_key = $2', [a.handle, key])).to.equal(1);
    expect(await count(server, 'conversions where handle = $1 and idempotency_key = $2', [b.handle, key])).to.equal(1);
    const bAudit = await server.http.get(`/v2/handles/${b.handle}/audit-events?type=conversion.created`).set(b.auth).expect(200);
    expect(bAudit.body.data.map((e: { campaignId: string }) => e.campaignId)).to.deep.equal([b.campaignId]);
  });

  it("refuses an event type the campaign's goal type does not allow with 422 event_type_not_allowed", async () => {
    const { handle, campaignId } = await partnerCampaign(server, { goalType: 'LEAD_CAPTURE' });
    const { ctx } = await storedClick(server, handle, campaignId);
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'purchase', idempotencyKey: 'lead-1' }).expect(422);
    expect(res.body.error.code).to.equal('event_type_not_allowed');
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'qualified_lead', idempotencyKey: 'lead-1' }).expect(201);
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(1);
  });

  it('refuses a refund posted as a SALE event (it would count as a sale) and says a refund is a reversal', async () => {
    const { handle, campaignId } = await partnerCampaign(server, { goalType: 'SALE' });
    const { ctx } = await storedClick(server, handle, campaignId);
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'refund', value: 5, idempotencyKey: 'refund-1' }).expect(422);
    expect(res.body.error.code).to.equal('event_type_not_allowed');
    expect(res.body.error.message).to.include('allowed: purchase.').and.to.include('/conversions/reversals');
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(0);
  });

  it("validates money: at most 2 fraction digits, not negative, an ISO-4217 code, defaulting to the handle's reporting currency", async () => {
    const { handle, campaignId } = await partnerCampaign(server, { reportingCurrency: 'EUR' });
    const { ctx } = await storedClick(server, handle, campaignId);
    const base = { ctx, eventType: 'affiliate_click', idempotencyKey: 'money-1' };
    for (const [patch, pointer] of [
      [{ value: 1.005 }, '/body/value'], [{ value: 9e-9 }, '/body/value'], [{ value: 0.001 }, '/body/value'], [{ value: -1 }, '/body/value'], [{ value: '10' }, '/body/value'],
      [{ value: 1, currency: 'usd' }, '/body/currency'], [{ idempotencyKey: '' }, '/body/idempotencyKey'],
      [{ idempotencyKey: 'a\u0001b' }, '/body/idempotencyKey'], [{ idempotencyKey: 'k'.repeat(256) }, '/body/idempotencyKey'],
      [{ metadata: { note: 'x'.repeat(5000) } }, '/body/metadata'], [{ metadata: { a: 'nul\u0000' } }, '/body/metadata/a'],
      [{ extra: true }, '/body/extra'],
    ] as const) {
      const res = await server.http.post(CONVERSIONS).send({ ...base, ...patch }).expect(400);
      expect(res.body.error.code).to.equal('invalid_request');
      expect(res.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include(pointer);
    }
    const res = await server.http.post(CONVERSIONS).send({ ...base, value: 12.3 }).expect(201);
    expect(res.body).to.include({ value: 12.3, currency: 'EUR' });
    const noValue = await server.http.post(CONVERSIONS).send({ ...base, idempotencyKey: 'money-2' }).expect(201);
    expect(noValue.body).to.include({ value: null, currency: null });
  });

  it('stores conversions on bot clicks flagged, so analytics can count verified conversions', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const bot = await storedClick(server, handle, campaignId, { isBot: true, country: 'US', segment: 'bot' });
    const human = await storedClick(server, handle, campaignId, { country: 'US', segment: 'bot' });
    await server.http.post(CONVERSIONS).send({ ctx: bot.ctx, eventType: 'affiliate_click', value: 5, idempotencyKey: 'b-1' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: human.ctx, eventType: 'affiliate_click', value: 7, idempotencyKey: 'h-1' }).expect(201);
    const { rows } = await server.sql.query('select click_is_bot from conversions where handle = $1 order by value', [handle]);
    expect(rows.map((r) => r.click_is_bot)).to.deep.equal([true, false]);
    const rollup = await server.sql.query('select conversions, verified_conversions, value from conversion_rollups where handle = $1', [handle]);
    expect(rollup.rows).to.deep.equal([{ conversions: 2, verified_conversions: 1, value: 12 }]);
  });

  it('counts a conversion in the analytics as soon as its 201 is returned (no waiting for a fold)', async () => {
    const { handle, campaignId, auth } = await partnerCampaign(server);
    for (let i = 1; i <= 3; i++) {
      const { ctx } = await storedClick(server, handle, campaignId);
      await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: `read-after-${i}` }).expect(201);
      // The conversion's own statement added it to the rollups: the funnel read right after the answer includes it.
      const funnel = await server.http.get(`/v2/handles/${handle}/analytics?funnel=true`).set(auth).expect(200);
      expect(funnel.body.data[0]).to.include({ campaignId, conversions: i, revenue: 10 * i });
    }
  });

  it('attributes with defaults when the click row never arrives, instead of failing', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const lost = await storedClick(server, handle, campaignId, { store: false, issuedAt: new Date() });
    const started = Date.now();
    await server.http.post(CONVERSIONS).send({ ctx: lost.ctx, eventType: 'affiliate_click', idempotencyKey: 'lost-1' }).expect(201);
    expect(Date.now() - started).to.be.below(2000);
    const { rows } = await server.sql.query('select country, segment, source, click_is_bot from conversions where handle = $1', [handle]);
    expect(rows[0]).to.deep.equal({ country: 'ZZ', segment: 'other', source: 'direct', click_is_bot: false });
    const audit = await server.sql.query("select payload from audit_events where handle = $1 and type = 'conversion.created'", [handle]);
    expect(audit.rows[0].payload.clickFound).to.equal(false);
  });

});
