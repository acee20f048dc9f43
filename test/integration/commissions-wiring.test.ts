import { expect } from 'chai';
import type { ClickBuffer, ClickRow } from '../../core/redirect/click-buffer.ts';
import { CONVERSIONS, clickThrough, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

// The conversion statement writes its commission (core/conversions/record-sql.ts), through the real HTTP server.

async function withPartner(server: TestServer, opts: { status?: string } = {}) {
  const t = await partnerCampaign(server, { reportingCurrency: 'EUR' });
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

  it('rejects a bot click, never auto-approves an unauthenticated conversion, rejects for a suspended partner', async () => {
    const t = await withPartner(server);
    const bot = await storedClick(server, t.handle, t.campaignId, { isBot: true });
    await server.http.post(CONVERSIONS).set(t.merchant).send({ ctx: bot.ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'bot' }).expect(201);
    const human = await storedClick(server, t.handle, t.campaignId);
    await server.http.post(CONVERSIONS).send({ ctx: human.ctx, eventType: 'affiliate_click', value: 20, idempotencyKey: 'public' }).expect(201);
    expect((await commissionsOf(server, t.handle)).map((r) => [r.amount, r.status, r.reason, r.autoApprove])).to.deep.equal([
      ['1.00', 'rejected', 'bot_click', true],
      ['2.00', 'pending', null, false],
    ]);

    const s = await withPartner(server, { status: 'SUSPENDED' });
    const click = await storedClick(server, s.handle, s.campaignId);
    await server.http.post(CONVERSIONS).set(s.merchant).send({ ctx: click.ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'k' }).expect(201);
    expect((await commissionsOf(server, s.handle)).map((r) => [r.status, r.reason])).to.deep.equal([['rejected', 'partner_suspended']]);
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
});
