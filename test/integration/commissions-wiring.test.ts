import { expect } from 'chai';
import type { AutoApproval } from '../../core/commissions/auto-approval.ts';
import type { ClickBuffer, ClickRow } from '../../core/redirect/click-buffer.ts';
import { CONVERSIONS, clickThrough, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

// The conversion statement writes its commission (core/conversions/record-sql.ts), through the real HTTP server.

async function withPartner(server: TestServer, opts: { status?: string; publicConversions?: string } = {}) {
  const t = await partnerCampaign(server, { reportingCurrency: 'EUR', ...(opts.publicConversions && { publicConversions: opts.publicConversions }) });
  await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'anna', name: 'Anna', ...(opts.status && { status: opts.status }) }).expect(201);
  await server.http.patch(`/v2/handles/${t.handle}/campaigns/${t.campaignId}`).set(t.auth).send({ partnerId: 'anna' }).expect(200);
  await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 0 }).expect(201);
  const merchant = await createToken(server, t.handle, t.ownerToken, ['conversions.write', 'conversions.read']);
  return { ...t, merchant: merchant.auth };
}

const commissionsOf = async (server: TestServer, handle: string) =>
  (await server.sql.query(`select conversion_id::text as "conversionId", partner_id as "partnerId", amount::text as amount, currency, status, reason,
                                  auto_approve as "autoApprove", type from commissions where handle = $1 order by created_at`, [handle])).rows;

describe('commissions written with the conversion', () => {
  let server: TestServer;
  let second: TestServer;
  before(async () => {
    server = await startTestServer();
    second = await startTestServer({ db: server.db });
  });
  after(async () => {
    await second?.close();
    await server?.close();
  });

  it('writes one commission for N concurrent identical conversions across two server processes', async () => {
    const t = await withPartner(server);
    // Outbox events are written for the handle's subscriptions: subscribe through each process, so each one's view is current.
    for (const s of [server, second]) {
      await s.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth).send({ endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['commission.created'] }).expect(201);
    }
    const { ctx, clickId } = await storedClick(server, t.handle, t.campaignId);
    const body = { ctx, eventType: 'affiliate_click', value: 33.35, currency: 'EUR', idempotencyKey: 'order-1' };
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? second : server).http.post(CONVERSIONS).set(t.merchant).send(body)));
    expect(answers.filter((r) => r.status === 201)).to.have.length(1);
    expect(answers.every((r) => r.status === 201 || r.status === 200)).to.equal(true);
    const rows = await commissionsOf(server, t.handle);
    expect(rows).to.deep.equal([{ conversionId: answers[0].body.conversionId, partnerId: 'anna', amount: '3.34', currency: 'EUR', status: 'pending', reason: null, autoApprove: true, type: 'conversion' }]);
    const { rows: conv } = await server.sql.query('select partner_id from conversions where click_id = $1', [clickId]);
    expect(conv).to.deep.equal([{ partner_id: 'anna' }]);
    const { rows: events } = await server.sql.query(`select payload from outbox_events where handle = $1 and type = 'commission.created'`, [t.handle]);
    expect(events).to.have.length(1);
    expect(events[0].payload).to.include({ partnerId: 'anna', status: 'pending', currency: 'EUR' });
  });

  it('carries in each event the object as the API returns it: commission (and the status it left), payout, reversal with its commissions', async () => {
    const t = await withPartner(server);
    await server.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth).send({
      endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['commission.created', 'commission.updated', 'payout.created', 'payout.paid', 'conversion.reversed'],
    }).expect(201);
    const { ctx } = await storedClick(server, t.handle, t.campaignId);
    const conversion = (await server.http.post(CONVERSIONS).set(t.merchant).send({ ctx, eventType: 'affiliate_click', value: 80, currency: 'EUR', idempotencyKey: 'ev-1' }).expect(201)).body;
    const events = async (type: string) =>
      (await server.sql.query(`select payload from outbox_events where handle = $1 and type = $2 order by created_at, event_id`, [t.handle, type])).rows.map((r) => r.payload);
    const [created] = (await server.http.get(`/v2/handles/${t.handle}/commissions`).set(t.auth).expect(200)).body.data;
    expect(await events('commission.created')).to.deep.equal([{ ...created }]);
    expect(created.createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const approved = (await server.http.patch(`/v2/handles/${t.handle}/commissions/${created.commissionId}`).set(t.auth).send({ status: 'approved', reason: 'checked' }).expect(200)).body;
    expect(await events('commission.updated')).to.deep.equal([{ ...approved, previous: { status: 'pending' } }]);
    const [payout] = (await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'ev-run' }).expect(201)).body.data;
    expect(await events('payout.created')).to.deep.equal([payout]);
    // No body at all: reference is optional.
    const paid = (await server.http.post(`/v2/handles/${t.handle}/payouts/${payout.payoutId}/mark-paid`).set(t.auth).expect(200)).body;
    expect(await events('payout.paid')).to.deep.equal([paid]);
    const afterPay = (await server.http.get(`/v2/handles/${t.handle}/commissions/${created.commissionId}`).set(t.auth).expect(200)).body;
    expect((await events('commission.updated'))[1]).to.deep.equal({ ...afterPay, previous: { status: 'approved' } });
    const reversal = (await server.http.post(`/v2/handles/${t.handle}/conversions/reversals`).set(t.merchant)
      .send({ idempotencyKey: 'ev-1', reversalKey: 'ev-r1', amount: 20, reason: 'refund' }).expect(201)).body;
    const [reversed] = await events('conversion.reversed');
    expect(reversed).to.include({ reversalId: reversal.reversalId, conversionId: conversion.conversionId, createdAt: reversal.createdAt });
    expect(reversed.commissions).to.deep.equal(reversal.commissions);
  });

  it('writes no outbox event that no subscription wants (nor wakes the dispatcher for none), and the commission and its audit row all the same', async () => {
    const t = await withPartner(server);
    const { ctx } = await storedClick(server, t.handle, t.campaignId);
    // Wakes are published at most every 20 ms: let any earlier one pass before counting.
    await new Promise((r) => setTimeout(r, 60));
    let wakes = 0;
    const stopCounting = server.kernel.container.resolve<{ onWake(h: () => void): () => void }>('outbox').onWake(() => wakes++);
    const quiet = { ctx, eventType: 'affiliate_click', value: 10, currency: 'EUR', idempotencyKey: 'quiet-1' };
    const res = await server.http.post(CONVERSIONS).set(t.merchant).send(quiet).expect(201);
    await server.http.post(CONVERSIONS).set(t.merchant).send(quiet).expect(200);
    expect(await commissionsOf(server, t.handle)).to.have.length(1);
    const { rows: audit } = await server.sql.query(`select type from audit_events where handle = $1 and type in ('conversion.created', 'commission.created') order by type`, [t.handle]);
    expect(audit.map((r) => r.type)).to.deep.equal(['commission.created', 'conversion.created']);
    const { rows: events } = await server.sql.query(`select type from outbox_events where handle = $1 and type in ('conversion.tested', 'conversion.deduped', 'commission.created')`, [t.handle]);
    expect(events).to.deep.equal([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(wakes, 'dispatcher wakes without an event').to.equal(0);
    // Once subscribed, the next conversion's events are written.
    await server.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth).send({ endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['conversion.tested', 'commission.created'] }).expect(201);
    const next = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).set(t.merchant).send({ ctx: next.ctx, eventType: 'affiliate_click', value: 10, currency: 'EUR', idempotencyKey: 'loud-1' }).expect(201);
    const { rows: after } = await server.sql.query(`select type, payload->>'conversionId' as id from outbox_events
                                                     where handle = $1 and type in ('conversion.tested', 'commission.created') order by type`, [t.handle]);
    expect(after.map((r) => r.type)).to.deep.equal(['commission.created', 'conversion.tested']);
    expect(after.every((r) => r.id !== res.body.conversionId)).to.equal(true);
    await new Promise((r) => setTimeout(r, 60));
    stopCounting();
    expect(wakes, 'dispatcher wakes for the written events').to.be.at.least(1);
  });

  it("rejects a bot click; a ctx-only conversion's commission approves after its hold on an accept handle (v2 behaviour), never by itself on a flag handle; rejects for a suspended partner", async () => {
    const t = await withPartner(server, { publicConversions: 'accept' });
    const bot = await storedClick(server, t.handle, t.campaignId, { isBot: true });
    await server.http.post(CONVERSIONS).set(t.merchant).send({ ctx: bot.ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'bot' }).expect(201);
    const human = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).send({ ctx: human.ctx, eventType: 'affiliate_click', value: 20, idempotencyKey: 'public' }).expect(201);
    expect((await commissionsOf(server, t.handle)).map((r) => [r.amount, r.status, r.reason, r.autoApprove])).to.deep.equal([
      ['1.00', 'rejected', 'bot_click', true],
      ['2.00', 'pending', null, true],
    ]);
    // API.md: only `flag` says "its commissions never approve automatically".
    const f = await withPartner(server, { publicConversions: 'flag' });
    const visit = await storedClick(server, f.handle, f.campaignId);
    const flagged = await server.http.post(CONVERSIONS).send({ ctx: visit.ctx, eventType: 'affiliate_click', value: 30, idempotencyKey: 'public' }).expect(201);
    expect(flagged.body.authenticated).to.equal(false);
    expect((await commissionsOf(server, f.handle)).map((r) => [r.amount, r.status, r.autoApprove])).to.deep.equal([['3.00', 'pending', false]]);
    // Both holds (0 days) have passed: the approval job takes the accept handle's, leaves the flag handle's to a person.
    const approval = server.kernel.container.resolve<AutoApproval>('autoApproval');
    while ((await approval.approveDue()) > 0);
    expect((await commissionsOf(server, t.handle)).map((r) => [r.amount, r.status, r.reason])).to.deep.equal([
      ['1.00', 'rejected', 'bot_click'],
      ['2.00', 'approved', 'hold_elapsed'],
    ]);
    expect((await commissionsOf(server, f.handle)).map((r) => [r.amount, r.status])).to.deep.equal([['3.00', 'pending']]);

    const s = await withPartner(server, { status: 'SUSPENDED' });
    const click = await storedClick(server, s.handle, s.campaignId);
    await server.http.post(CONVERSIONS).set(s.merchant).send({ ctx: click.ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'k' }).expect(201);
    expect((await commissionsOf(server, s.handle)).map((r) => [r.status, r.reason])).to.deep.equal([['rejected', 'partner_suspended']]);
  });

  it("an accept handle's ctx-only conversion stops approving by itself once the merchant's server posts the same key (someone knew it first)", async () => {
    const t = await withPartner(server, { publicConversions: 'accept' });
    const { ctx } = await storedClick(server, t.handle, t.campaignId);
    const first = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 900, idempotencyKey: 'order-77' }).expect(201);
    expect((await commissionsOf(server, t.handle)).map((r) => [r.amount, r.status, r.autoApprove])).to.deep.equal([['90.00', 'pending', true]]);
    const merchant = await server.http.post(CONVERSIONS).set(t.merchant).send({ ctx, eventType: 'affiliate_click', value: 20, idempotencyKey: 'order-77' }).expect(200);
    expect(merchant.body).to.include({ conversionId: first.body.conversionId, deduped: true, mismatch: true, authenticated: false });
    expect((await commissionsOf(server, t.handle)).map((r) => [r.amount, r.status, r.autoApprove])).to.deep.equal([['90.00', 'pending', false]]);
    const approval = server.kernel.container.resolve<AutoApproval>('autoApproval');
    while ((await approval.approveDue()) > 0);
    expect((await commissionsOf(server, t.handle)).map((r) => r.status)).to.deep.equal(['pending']);
    // A ctx-only repeat of its own key changes nothing.
    const u = await withPartner(server, { publicConversions: 'accept' });
    const visit = await storedClick(server, u.handle, u.campaignId);
    await server.http.post(CONVERSIONS).send({ ctx: visit.ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'o-1' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: visit.ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'o-1' }).expect(200);
    expect((await commissionsOf(server, u.handle)).map((r) => r.autoApprove)).to.deep.equal([true]);
  });

  it("audits each commission a conversion earns, in the conversion's statement, with the conversion's actor (as adjustments and clawbacks are)", async () => {
    const t = await withPartner(server);
    const merchant = await createToken(server, t.handle, t.ownerToken, ['conversions.write']);
    const { ctx } = await storedClick(server, t.handle, t.campaignId);
    const body = { ctx, eventType: 'affiliate_click', value: 120, currency: 'EUR', idempotencyKey: 'audited' };
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? second : server).http.post(CONVERSIONS).set(merchant.auth).send(body)));
    const conversionId = answers.find((r) => r.status === 201)!.body.conversionId;
    const { rows: [commission] } = await server.sql.query(`select commission_id::text as id from commissions where conversion_id = $1`, [conversionId]);
    const { rows } = await server.sql.query(
      `select type, actor, campaign_id, subject_id, payload from audit_events where handle = $1 and type = 'commission.created'`, [t.handle]);
    expect(rows).to.deep.equal([{
      type: 'commission.created', actor: merchant.tokenId, campaign_id: t.campaignId, subject_id: commission.id,
      payload: { commissionId: commission.id, partnerId: 'anna', conversionId, type: 'conversion', amount: 12, currency: 'EUR', status: 'pending', reason: null },
    }]);
    // A conversion that earns nothing has no commission audit row.
    const other = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).set(merchant.auth).send({ ctx: other.ctx, eventType: 'affiliate_click', idempotencyKey: 'no-value' }).expect(201);
    const { rows: after } = await server.sql.query(`select count(*)::int as n from audit_events where handle = $1 and type = 'commission.created'`, [t.handle]);
    expect(after[0].n).to.equal(1);
    // The handle's audit log shows it to a token with audit.read.
    const log = await server.http.get(`/v2/handles/${t.handle}/audit-events`).set(t.auth).expect(200);
    expect(log.body.data.filter((e: { type: string }) => e.type === 'commission.created')).to.have.length(1);
  });

  it('writes no commission for a campaign without a partner, or without a rule', async () => {
    const t = await partnerCampaign(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'flat', amount: 1 }).expect(201);
    const c = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).send({ ctx: c.ctx, eventType: 'affiliate_click', idempotencyKey: 'k' }).expect(201);
    expect(await commissionsOf(server, t.handle)).to.deep.equal([]);
  });
});

describe('click commissions written with the click batches', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('accrues one row per partner, campaign, UTC day and currency from qualified clicks; a replayed click never counts twice', async () => {
    const t = await withPartner(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/cpc`).set(t.auth).send({ scope: { partnerId: 'anna' }, event: 'click', type: 'flat', amount: 0.05, currency: 'USD' }).expect(201);
    const buffer = server.kernel.container.resolve<ClickBuffer>('clickBuffer');
    const recorded: ClickRow[] = [];
    const push = buffer.push.bind(buffer);
    buffer.push = (row: ClickRow) => (recorded.push(row), push(row));
    try {
      for (let i = 0; i < 3; i++) await clickThrough(server, t.handle, t.slug);
      await clickThrough(server, t.handle, t.slug, { 'user-agent': 'curl/8.5.0' });
      // A click reaches the buffer after its 302, once judged (the burst counter may wait for Redis).
      await server.kernel.container.resolve<{ drain(): Promise<void> }>('clickRecorder').drain();
      await buffer.flush();
      // The same clicks again, as a batch retried after a commit whose answer was lost.
      for (const row of recorded) push(row);
      await buffer.flush();
    } finally {
      buffer.push = push;
    }
    expect(recorded).to.have.length(4);
    const rows = (await server.sql.query(`select partner_id, campaign_id, type, quantity::int as quantity, amount::text as amount, currency, status, day::text as day
                                            from commissions where handle = $1`, [t.handle])).rows;
    expect(rows).to.deep.equal([{ partner_id: 'anna', campaign_id: t.campaignId, type: 'click', quantity: 3, amount: '0.15', currency: 'USD', status: 'pending', day: new Date().toISOString().slice(0, 10) }]);
  });

  it("a SUSPENDED partner's qualified clicks accrue on a rejected/partner_suspended row of their own, apart from the day's pending row", async () => {
    const t = await withPartner(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/cpc`).set(t.auth).send({ scope: { partnerId: 'anna' }, event: 'click', type: 'flat', amount: 0.05, currency: 'USD' }).expect(201);
    const buffer = server.kernel.container.resolve<ClickBuffer>('clickBuffer');
    const clicks = async (n: number) => {
      for (let i = 0; i < n; i++) await clickThrough(server, t.handle, t.slug);
      await server.kernel.container.resolve<{ drain(): Promise<void> }>('clickRecorder').drain();
      await buffer.flush();
    };
    const setStatus = (status: string) => server.http.patch(`/v2/handles/${t.handle}/partners/anna`).set(t.auth).send({ status }).expect(200);
    const rows = async () => (await server.sql.query(`select quantity::int as quantity, amount::text as amount, status, reason from commissions
                                                        where handle = $1 and type = 'click' order by status`, [t.handle])).rows;
    await clicks(2);
    await setStatus('SUSPENDED');
    await clicks(3);
    await clicks(1);
    expect(await rows()).to.deep.equal([
      { quantity: 2, amount: '0.10', status: 'pending', reason: null },
      { quantity: 4, amount: '0.20', status: 'rejected', reason: 'partner_suspended' },
    ]);
    await setStatus('ACTIVE');
    await clicks(1);
    expect((await rows()).map((r) => r.quantity)).to.deep.equal([3, 4]);
    // Each row announced once, when created, with the status it was created in.
    const { rows: audit } = await server.sql.query(`select payload->>'status' as status, payload->>'reason' as reason from audit_events
                                                      where handle = $1 and type = 'commission.created' order by 1`, [t.handle]);
    expect(audit).to.deep.equal([{ status: 'pending', reason: null }, { status: 'rejected', reason: 'partner_suspended' }]);
  });

  it("announces the day's click row once, when it is created (audit and commission.created), not each time it grows", async () => {
    const t = await withPartner(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/cpc`).set(t.auth).send({ scope: {}, event: 'click', type: 'flat', amount: 0.1, currency: 'USD' }).expect(201);
    const buffer = server.kernel.container.resolve<ClickBuffer>('clickBuffer');
    const clickRow = async () => (await server.sql.query(`select commission_id::text as id, quantity::int as quantity from commissions where handle = $1 and type = 'click'`, [t.handle])).rows[0];
    // Three batches (the flusher runs every 20 ms here): the first creates the day's row, the others grow it.
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < 2; i++) await clickThrough(server, t.handle, t.slug);
      for (let tries = 0; (await clickRow())?.quantity !== 2 * (batch + 1) && tries < 100; tries++) {
        await buffer.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const row = await clickRow();
    expect(row.quantity).to.equal(6);
    // Once, as the row was first written: the first batch's clicks (both, or one when the 20 ms flusher ran between them).
    const { rows: events } = await server.sql.query(`select payload from outbox_events where handle = $1 and type = 'commission.created'`, [t.handle]);
    expect(events).to.have.length(1);
    const first = events[0].payload.quantity as number;
    expect(first).to.be.oneOf([1, 2]);
    expect(events.map((e) => [e.payload.commissionId, e.payload.type])).to.deep.equal([[row.id, 'click']]);
    const { rows: audit } = await server.sql.query(`select actor, subject_id, payload from audit_events where handle = $1 and type = 'commission.created'`, [t.handle]);
    expect(audit).to.deep.equal([{
      actor: 'system', subject_id: row.id,
      payload: { commissionId: row.id, partnerId: 'anna', conversionId: null, type: 'click', amount: first / 10, currency: 'USD', status: 'pending', reason: null },
    }]);
  });
});
