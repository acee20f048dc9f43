import { expect } from 'chai';
import fc from 'fast-check';
import type { AutoApproval } from '../../core/commissions/auto-approval.ts';
import { centsToText, ledgerMismatches, percentOfCents, reverseConversionCommissions, toCents } from '../../core/commissions/index.ts';
import { accrueClicks, conversionRow, earn, ledgerRows } from '../support/commissions.ts';
import { partnerCampaign } from '../support/conversions.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

// Conversion and click commissions are written here by the ledger's own SQL fragments
// (test/support/commissions.ts) until record-sql.ts and the click flusher embed them.

const autoApproval = (server: TestServer) => server.kernel.container.resolve<AutoApproval>('autoApproval');

describe('commissions: reward rules', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  const rewards = () => `/v2/handles/${t.handle}/rewards`;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server, { reportingCurrency: 'EUR' });
  });
  after(async () => server?.close());

  it('creates (201), replaces (200), reads, lists and deletes a rule, defaulting currency and hold days', async () => {
    const created = await server.http.put(`${rewards()}/base`).set(t.auth).send({ scope: {}, event: 'sale', type: 'flat', amount: 5 }).expect(201);
    expect(created.body).to.include({ rewardId: 'base', event: 'sale', type: 'flat', amount: 5, percent: null, currency: 'EUR', holdDays: 30 });
    expect(created.body.scope).to.deep.equal({});
    const replaced = await server.http.put(`${rewards()}/base`).set(t.auth)
      .send({ scope: { campaignId: t.campaignId }, event: 'sale', type: 'percent', percent: 12.5, holdDays: 0 }).expect(200);
    expect(replaced.body).to.include({ type: 'percent', percent: 12.5, amount: null, currency: null, holdDays: 0 });
    expect(replaced.body.scope).to.deep.equal({ campaignId: t.campaignId });
    const one = await server.http.get(`${rewards()}/base`).set(t.auth).expect(200);
    expect(one.body).to.deep.equal(replaced.body);
    await server.http.put(`${rewards()}/second`).set(t.auth).send({ scope: {}, event: 'click', type: 'flat', amount: 0.05, currency: 'USD' }).expect(201);
    const page1 = await server.http.get(`${rewards()}?limit=1`).set(t.auth).expect(200);
    expect(page1.body.data.map((r: { rewardId: string }) => r.rewardId)).to.deep.equal(['base']);
    const page2 = await server.http.get(`${rewards()}?limit=1&cursor=${page1.body.nextCursor}`).set(t.auth).expect(200);
    expect(page2.body.data.map((r: { rewardId: string }) => r.rewardId)).to.deep.equal(['second']);
    expect(page2.body.nextCursor).to.equal(null);
    await server.http.delete(`${rewards()}/second`).set(t.auth).expect(200);
    await server.http.get(`${rewards()}/second`).set(t.auth).expect(404);
    await server.http.delete(`${rewards()}/second`).set(t.auth).expect(404);
    const { rows } = await server.sql.query(`select type from audit_events where handle = $1 and type like 'reward.%' order by created_at`, [t.handle]);
    expect(rows.map((r) => r.type)).to.deep.equal(['reward.created', 'reward.replaced', 'reward.created', 'reward.deleted']);
  });

  it('refuses invalid rules with the failing field', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ scope: {}, event: 'sale', type: 'flat' }, '/body/amount'],
      [{ scope: {}, event: 'sale', type: 'flat', amount: 1.005 }, '/body/amount'],
      [{ scope: {}, event: 'sale', type: 'flat', amount: 0 }, '/body/amount'],
      [{ scope: {}, event: 'sale', type: 'flat', amount: 5, percent: 3 }, '/body/percent'],
      [{ scope: {}, event: 'sale', type: 'percent' }, '/body/percent'],
      [{ scope: {}, event: 'sale', type: 'percent', percent: 100.01 }, '/body/percent'],
      [{ scope: {}, event: 'sale', type: 'percent', percent: 0 }, '/body/percent'],
      [{ scope: {}, event: 'sale', type: 'percent', percent: 33.333 }, '/body/percent'],
      [{ scope: {}, event: 'sale', type: 'percent', percent: 10, currency: 'USD' }, '/body/currency'],
      [{ scope: {}, event: 'click', type: 'percent', percent: 10 }, '/body/type'],
      [{ scope: {}, event: 'sale', type: 'flat', amount: 1, holdDays: 366 }, '/body/holdDays'],
      [{ scope: { partnerId: 'UPPER' }, event: 'sale', type: 'flat', amount: 1 }, '/body/scope/partnerId'],
      [{ scope: {}, event: 'sale', type: 'flat', amount: 1, extra: 1 }, '/body/extra'],
    ];
    for (const [body, pointer] of bad) {
      const res = await server.http.put(`${rewards()}/bad`).set(t.auth).send(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.error.details.map((d: { pointer: string }) => d.pointer), JSON.stringify(body)).to.include(pointer);
    }
    const ok = await server.http.put(`${rewards()}/pct`).set(t.auth).send({ scope: { partnerId: 'p-bounds' }, event: 'sale', type: 'percent', percent: 100 }).expect(201);
    expect(ok.body.percent).to.equal(100);
  });

  it('answers 422 unknown_campaign and 409 for a second rule on the same scope and event', async () => {
    const res = await server.http.put(`${rewards()}/nope`).set(t.auth).send({ scope: { campaignId: 'no-such' }, event: 'sale', type: 'flat', amount: 1 }).expect(422);
    expect(res.body.error.code).to.equal('unknown_campaign');
    await server.http.put(`${rewards()}/dup-a`).set(t.auth).send({ scope: { partnerId: 'p-dup' }, event: 'lead', type: 'flat', amount: 1 }).expect(201);
    const dup = await server.http.put(`${rewards()}/dup-b`).set(t.auth).send({ scope: { partnerId: 'p-dup' }, event: 'lead', type: 'flat', amount: 2 }).expect(409);
    expect(dup.body.error.code).to.equal('conflict');
    // Replacing a rule with its own scope is not a conflict.
    await server.http.put(`${rewards()}/dup-a`).set(t.auth).send({ scope: { partnerId: 'p-dup' }, event: 'lead', type: 'flat', amount: 3 }).expect(200);
  });

  it('keeps rules per handle: another tenant gets 404, a token without commissions.write 403', async () => {
    const other = await createHandle(server);
    await server.http.get(`${rewards()}/base`).set(other.auth).expect(404);
    const reader = await createToken(server, t.handle, t.ownerToken, ['commissions.read']);
    await server.http.get(rewards()).set(reader.auth).expect(200);
    const res = await server.http.put(`${rewards()}/x`).set(reader.auth).send({ scope: {}, event: 'sale', type: 'flat', amount: 1 }).expect(403);
    expect(res.body.error.code).to.equal('insufficient_scope');
  });
});

describe('commissions: the rule that applies, and what it pays', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  const put = (id: string, body: Record<string, unknown>) => server.http.put(`/v2/handles/${t.handle}/rewards/${id}`).set(t.auth).send(body).expect((r) => expect(r.status).to.be.oneOf([200, 201]));
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
    await server.http.post(`/v2/handles/${t.handle}/campaigns`).set(t.auth).send({
      campaignId: 'other-camp', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'other', destinationUrl: 'https://m.example.com/' },
    }).expect(201);
    await put('handle-wide', { scope: {}, event: 'sale', type: 'flat', amount: 1 });
    await put('partner', { scope: { partnerId: 'p1' }, event: 'sale', type: 'flat', amount: 2 });
    await put('campaign', { scope: { campaignId: t.campaignId }, event: 'sale', type: 'flat', amount: 3 });
    await put('both', { scope: { campaignId: t.campaignId, partnerId: 'p1' }, event: 'sale', type: 'percent', percent: 10, holdDays: 7 });
  });
  after(async () => server?.close());

  it('picks partner + campaign, then campaign, then partner, then the handle-wide rule', async () => {
    const rows = await earn(server, [
      { handle: t.handle, campaignId: t.campaignId, partnerId: 'p1', eventType: 'sale', value: 80, currency: 'GBP' },
      { handle: t.handle, campaignId: t.campaignId, partnerId: 'p2', eventType: 'sale', value: 80 },
      { handle: t.handle, campaignId: 'other-camp', partnerId: 'p1', eventType: 'sale', value: 80 },
      { handle: t.handle, campaignId: 'other-camp', partnerId: 'p2', eventType: 'sale', value: 80 },
    ]);
    const byReward = Object.fromEntries(rows.map((r) => [r.rewardId, [r.amount, r.currency]]));
    expect(byReward).to.deep.equal({ both: ['8.00', 'GBP'], campaign: ['3.00', 'USD'], partner: ['2.00', 'USD'], 'handle-wide': ['1.00', 'USD'] });
    const both = rows.find((r) => r.rewardId === 'both')!;
    expect(both.holdUntil.getTime() - both.createdAt.getTime()).to.equal(7 * 86_400_000);
    expect(rows.every((r) => r.status === 'pending' && r.reason === null)).to.equal(true);
  });

  it('pays nothing without a rule for the event, without a partner, or from a percent rule without a value', async () => {
    const rows = await earn(server, [
      { handle: t.handle, campaignId: t.campaignId, partnerId: 'p1', eventType: 'signup', value: 10 },
      { handle: t.handle, campaignId: t.campaignId, partnerId: null, eventType: 'sale', value: 10 },
      { handle: t.handle, campaignId: t.campaignId, partnerId: 'p1', eventType: 'sale', value: null, currency: null },
    ]);
    expect(rows).to.have.length(0);
  });

  it('writes one commission per conversion, however many identical writes race', async () => {
    const conversionId = '0190a0a0-0000-7000-8000-000000000001';
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      earn(server, [{ handle: t.handle, campaignId: t.campaignId, partnerId: 'p2', eventType: 'sale', value: 5, conversionId }])));
    expect(results.flat()).to.have.length(1);
    const { rows } = await server.sql.query('select count(*)::int as n from commissions where conversion_id = $1', [conversionId]);
    expect(rows[0].n).to.equal(1);
  });

  it('rejects the commission of a bot click (bot_click) and of a suspended partner (partner_suspended)', async () => {
    const rows = await earn(server, [
      { handle: t.handle, campaignId: t.campaignId, partnerId: 'p2', eventType: 'sale', value: 5, isBot: true, subs: ['a', null, null, null, 'e'] },
      { handle: t.handle, campaignId: t.campaignId, partnerId: 'p3', eventType: 'sale', value: 5, partnerSuspended: true },
    ]);
    expect(rows.map((r) => [r.status, r.reason]).sort()).to.deep.equal([['rejected', 'bot_click'], ['rejected', 'partner_suspended']]);
    const res = await server.http.get(`/v2/handles/${t.handle}/commissions/${rows.find((r) => r.reason === 'bot_click')!.commissionId}`).set(t.auth).expect(200);
    expect(res.body).to.include({ sub1: 'a', sub2: null, sub5: 'e', type: 'conversion', eventType: 'sale', quantity: 1, amount: 3, payoutId: null });
  });

  it('never rewrites an existing commission when its rule changes or goes', async () => {
    const [before] = await earn(server, [{ handle: t.handle, campaignId: 'other-camp', partnerId: 'p9', eventType: 'sale', value: 10 }]);
    expect(before.amount).to.equal('1.00');
    await put('handle-wide', { scope: {}, event: 'sale', type: 'flat', amount: 4 });
    const [after] = await earn(server, [{ handle: t.handle, campaignId: 'other-camp', partnerId: 'p9', eventType: 'sale', value: 10 }]);
    expect(after.amount).to.equal('4.00');
    await server.http.delete(`/v2/handles/${t.handle}/rewards/handle-wide`).set(t.auth).expect(200);
    const { rows } = await server.sql.query('select amount::text as amount from commissions where commission_id = any($1) order by amount', [[before.commissionId, after.commissionId]]);
    expect(rows.map((r) => r.amount)).to.deep.equal(['1.00', '4.00']);
  });

  it('accrues click commissions per partner, campaign, UTC day and currency from qualified clicks only', async () => {
    await put('per-click', { scope: { partnerId: 'clicker' }, event: 'click', type: 'flat', amount: 0.07, currency: 'USD', holdDays: 2 });
    const yesterday = new Date(Date.now() - 86_400_000);
    const click = (o: Partial<Parameters<typeof accrueClicks>[1][number]> = {}) => ({ handle: t.handle, campaignId: t.campaignId, partnerId: 'clicker', ...o });
    await accrueClicks(server, [click(), click(), click({ isBot: true }), click({ occurredAt: yesterday }), click({ partnerSuspended: true }), click({ partnerId: null })]);
    await accrueClicks(server, [click(), click({ campaignId: 'other-camp' })]);
    const { rows } = await server.sql.query(
      `select campaign_id, day::text as day, quantity::int as q, amount::text as amount, hold_until, status from commissions
        where handle = $1 and type = 'click' order by day, campaign_id`, [t.handle]);
    const today = new Date().toISOString().slice(0, 10);
    expect(rows.map((r) => [r.campaign_id, r.day, r.q, r.amount, r.status])).to.deep.equal([
      [t.campaignId, yesterday.toISOString().slice(0, 10), 1, '0.07', 'pending'],
      ['other-camp', today, 1, '0.07', 'pending'],
      [t.campaignId, today, 3, '0.21', 'pending'],
    ]);
    // Final once the day has ended, plus the hold.
    expect(rows[2].hold_until.toISOString()).to.equal(new Date(Date.parse(`${today}T00:00:00Z`) + 3 * 86_400_000).toISOString());
  });
});

describe('commissions: money is exact (percent rounded half up to cents)', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
  });
  after(async () => server?.close());

  const sqlPercent = async (pairs: Array<[string, string]>) => {
    const { rows } = await server.sql.query(
      `select round(v * p / 100, 2)::text as r from unnest($1::numeric[], $2::numeric[]) with ordinality as x(v, p, i) order by i`,
      [pairs.map((x) => x[0]), pairs.map((x) => x[1])],
    );
    return rows.map((r) => r.r as string);
  };
  const jsPercent = ([v, p]: [string, string]) => centsToText(percentOfCents(toCents(v), toCents(p)));

  it('rounds the boundaries the same way in SQL, in integer cents and in the ledger', async () => {
    const cases: Array<[string, string, string]> = [
      ['0.01', '50', '0.01'], // 0.005
      ['0.01', '49.99', '0.00'], // 0.004999
      ['66.67', '50', '33.34'], // 33.335
      ['66.66', '50.01', '33.34'], // 33.336666
      ['0.03', '50', '0.02'], // 0.015
      ['999999999999.99', '100', '999999999999.99'],
      ['999999999999.99', '33.33', '333300000000.00'], // 333299999999.9966667
      ['999999999999.99', '0.01', '100000000.00'], // 99999999.9999999
      ['123.45', '12.34', '15.23'], // 15.23373
    ];
    expect(await sqlPercent(cases.map(([v, p]) => [v, p]))).to.deep.equal(cases.map((c) => c[2]));
    expect(cases.map(([v, p]) => jsPercent([v, p]))).to.deep.equal(cases.map((c) => c[2]));
    for (const [i, [v, p, want]] of cases.entries()) {
      await server.http.put(`/v2/handles/${t.handle}/rewards/r${i}`).set(t.auth).send({ scope: { partnerId: `p${i}` }, event: 'sale', type: 'percent', percent: Number(p) }).expect(201);
      const [row] = await earn(server, [{ handle: t.handle, campaignId: t.campaignId, partnerId: `p${i}`, eventType: 'sale', value: v }]);
      if (want === '0.00') expect(row, `${v} × ${p}%`).to.equal(undefined);
      else expect(row.amount, `${v} × ${p}%`).to.equal(want);
    }
  });

  it('agrees between SQL and integer cents on 2,000 random values and percents', async () => {
    const cents = fc.bigInt({ min: 0n, max: 99_999_999_999_999n });
    const hundredths = fc.bigInt({ min: 1n, max: 10_000n });
    const pairs = fc.sample(fc.tuple(cents, hundredths), 2000).map(([v, p]) => [centsToText(v), centsToText(p)] as [string, string]);
    expect(await sqlPercent(pairs)).to.deep.equal(pairs.map(jsPercent));
  });
});

describe('commissions: list, summary, approve and reject', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  const base = () => `/v2/handles/${t.handle}/commissions`;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
  });
  after(async () => server?.close());

  it('lists newest first with filters, a cursor, and a summary over the whole filter', async () => {
    await ledgerRows(server, [
      { handle: t.handle, partnerId: 'a', amount: '10.10', status: 'pending' },
      { handle: t.handle, partnerId: 'a', amount: '0.20', status: 'pending' },
      { handle: t.handle, partnerId: 'a', amount: '5.00', status: 'approved', currency: 'EUR' },
      { handle: t.handle, partnerId: 'b', amount: '7.77', status: 'rejected' },
      { handle: t.handle, partnerId: 'b', amount: '-1.50', status: 'approved', type: 'clawback' },
    ]);
    const all = await server.http.get(`${base()}?limit=2`).set(t.auth).expect(200);
    expect(all.body.data).to.have.length(2);
    expect(all.body.summary).to.deep.equal([
      { currency: 'EUR', status: 'approved', count: 1, amount: 5 },
      { currency: 'USD', status: 'approved', count: 1, amount: -1.5 },
      { currency: 'USD', status: 'pending', count: 2, amount: 10.3 },
      { currency: 'USD', status: 'rejected', count: 1, amount: 7.77 },
    ]);
    const seen = [...all.body.data];
    let cursor = all.body.nextCursor;
    while (cursor) {
      const next = await server.http.get(`${base()}?limit=2&cursor=${encodeURIComponent(cursor)}`).set(t.auth).expect(200);
      expect(next.body.summary).to.deep.equal(all.body.summary);
      seen.push(...next.body.data);
      cursor = next.body.nextCursor;
    }
    expect(new Set(seen.map((c) => c.commissionId)).size).to.equal(5);
    const pendingA = await server.http.get(`${base()}?status=pending&partnerId=a`).set(t.auth).expect(200);
    expect(pendingA.body.data.map((c: { amount: number }) => c.amount).sort()).to.deep.equal([0.2, 10.1]);
    expect(pendingA.body.summary).to.deep.equal([{ currency: 'USD', status: 'pending', count: 2, amount: 10.3 }]);
    const claw = await server.http.get(`${base()}?type=clawback`).set(t.auth).expect(200);
    expect(claw.body.data).to.have.length(1);
    const future = await server.http.get(`${base()}?from=2999-01-01T00:00:00Z`).set(t.auth).expect(200);
    expect(future.body).to.deep.equal({ data: [], nextCursor: null, summary: [] });
    await server.http.get(`${base()}?cursor=bogus`).set(t.auth).expect(400);
    await server.http.get(`${base()}?status=lost`).set(t.auth).expect(400);
  });

  it('approves and rejects by hand with the lifecycle, auditing actor and reason', async () => {
    const editor = await createToken(server, t.handle, t.ownerToken, ['commissions.write', 'commissions.read']);
    const [id] = await ledgerRows(server, [{ handle: t.handle, partnerId: 'c', amount: '3.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) }]);
    const patch = (status: string, reason = 'checked the order') => server.http.patch(`${base()}/${id}`).set(editor.auth).send({ status, reason });
    const rejected = await patch('rejected', 'duplicate order').expect(200);
    expect(rejected.body).to.include({ commissionId: id, status: 'rejected', reason: 'duplicate order', amount: 3 });
    const approved = await patch('approved', 'customer confirmed').expect(200);
    expect(approved.body).to.include({ status: 'approved', reason: 'customer confirmed' });
    await patch('approved').expect(200); // the same status again: a no-op, not an error
    const refused = await patch('rejected').expect(409);
    expect(refused.body.error.code).to.equal('invalid_transition');
    await server.http.patch(`${base()}/${id}`).set(editor.auth).send({ status: 'paid', reason: 'x' }).expect(400);
    await server.http.patch(`${base()}/${id}`).set(editor.auth).send({ status: 'approved' }).expect(400);
    await server.http.patch(`${base()}/0190a0a0-0000-7000-8000-00000000dead`).set(editor.auth).send({ status: 'approved', reason: 'x' }).expect(404);
    const { rows } = await server.sql.query(
      `select actor, payload from audit_events where handle = $1 and type = 'commission.status_changed' and subject_id = $2 order by created_at`, [t.handle, id]);
    expect(rows.map((r) => [r.actor, r.payload.from, r.payload.to, r.payload.reason, r.payload.via])).to.deep.equal([
      [editor.tokenId, 'pending', 'rejected', 'duplicate order', 'manual'],
      [editor.tokenId, 'rejected', 'approved', 'customer confirmed', 'manual'],
    ]);
  });

  it('refuses moves out of paid and reversed, and approving a click day that is still open', async () => {
    const ids = await ledgerRows(server, [
      { handle: t.handle, partnerId: 'd', amount: '1.00', status: 'paid' },
      { handle: t.handle, partnerId: 'd', amount: '1.00', status: 'reversed' },
      { handle: t.handle, partnerId: 'd', amount: '1.00', status: 'pending', type: 'click', holdUntil: new Date(Date.now() + 86_400_000) },
    ]);
    for (const [id, status] of [[ids[0], 'approved'], [ids[0], 'rejected'], [ids[1], 'approved'], [ids[2], 'approved']]) {
      const res = await server.http.patch(`${base()}/${id}`).set(t.auth).send({ status, reason: 'try' }).expect(409);
      expect(res.body.error.code).to.equal('invalid_transition');
    }
    // An open click day can still be rejected (the row then stops accruing).
    await server.http.patch(`${base()}/${ids[2]}`).set(t.auth).send({ status: 'rejected', reason: 'fraud ring' }).expect(200);
  });

  it('bulk-moves up to 500 ids with one result per id', async () => {
    const ids = await ledgerRows(server, [
      { handle: t.handle, partnerId: 'e', amount: '1.00', status: 'pending' },
      { handle: t.handle, partnerId: 'e', amount: '2.00', status: 'paid' },
      { handle: t.handle, partnerId: 'e', amount: '3.00', status: 'pending' },
    ]);
    const other = await partnerCampaign(server);
    const [foreign] = await ledgerRows(server, [{ handle: other.handle, partnerId: 'e', amount: '9.00', status: 'pending' }]);
    const missing = '0190a0a0-0000-7000-8000-00000000beef';
    const res = await server.http.post(`${base()}/bulk`).set(t.auth).send({ commissionIds: [ids[2], missing, ids[1], foreign, ids[0]], status: 'approved', reason: 'month-end review' }).expect(200);
    expect(res.body.data.map((r: { commissionId: string; status: number }) => [r.commissionId, r.status])).to.deep.equal([[ids[2], 200], [missing, 404], [ids[1], 409], [foreign, 404], [ids[0], 200]]);
    expect(res.body.data[0].commission).to.include({ status: 'approved', reason: 'month-end review' });
    expect(res.body.data[2].error.code).to.equal('invalid_transition');
    const { rows } = await server.sql.query('select status from commissions where commission_id = $1', [foreign]);
    expect(rows[0].status).to.equal('pending');
    const tooMany = Array.from({ length: 501 }, (_, i) => `0190a0a0-0000-7000-8000-${String(i).padStart(12, '0')}`);
    await server.http.post(`${base()}/bulk`).set(t.auth).send({ commissionIds: tooMany, status: 'approved', reason: 'x' }).expect(400);
    await server.http.post(`${base()}/bulk`).set(t.auth).send({ commissionIds: [ids[0], ids[0]], status: 'approved', reason: 'x' }).expect(400);
  });

  it("never shows another tenant's commission", async () => {
    const [id] = await ledgerRows(server, [{ handle: t.handle, partnerId: 'f', amount: '1.00', status: 'pending' }]);
    const other = await partnerCampaign(server);
    await server.http.get(`/v2/handles/${other.handle}/commissions/${id}`).set(other.auth).expect(404);
    await server.http.patch(`/v2/handles/${other.handle}/commissions/${id}`).set(other.auth).send({ status: 'approved', reason: 'x' }).expect(404);
    await server.http.get(`${base()}/${id}`).set(other.auth).expect(404);
  });
});

describe('commissions: automatic approval once the hold has passed', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
  });
  after(async () => server?.close());

  it('approves due commissions (audited, actor system), and never unauthenticated ones, open click days or future holds', async () => {
    const past = new Date(Date.now() - 1000);
    const ids = await ledgerRows(server, [
      { handle: t.handle, partnerId: 'a', amount: '1.00', status: 'pending', holdUntil: past },
      { handle: t.handle, partnerId: 'a', amount: '2.00', status: 'pending', holdUntil: past, autoApprove: false },
      { handle: t.handle, partnerId: 'a', amount: '3.00', status: 'pending', holdUntil: new Date(Date.now() + 60_000) },
      { handle: t.handle, partnerId: 'a', amount: '4.00', status: 'rejected', holdUntil: past },
    ]);
    // A click row of today with no hold would be due by its time, but its day is still open.
    const [openDay] = await ledgerRows(server, [{ handle: t.handle, partnerId: 'a', amount: '0.50', status: 'pending', type: 'click', holdUntil: past }]);
    await server.sql.query(`update commissions set day = (now() at time zone 'UTC')::date where commission_id = $1`, [openDay]);
    const approved = await autoApproval(server).approveDue();
    expect(approved).to.equal(1);
    const { rows } = await server.sql.query('select commission_id, status, reason from commissions where commission_id = any($1)', [[...ids, openDay]]);
    const status = Object.fromEntries(rows.map((r) => [r.commission_id, [r.status, r.reason]]));
    expect([...ids, openDay].map((id) => status[id])).to.deep.equal([['approved', 'hold_elapsed'], ['pending', null], ['pending', null], ['rejected', null], ['pending', null]]);
    expect(await autoApproval(server).approveDue()).to.equal(0);
    const audit = await server.sql.query(`select actor, payload from audit_events where type = 'commission.status_changed' and subject_id = $1`, [ids[0]]);
    expect(audit.rows).to.have.length(1);
    expect(audit.rows[0]).to.deep.include({ actor: 'system' });
    expect(audit.rows[0].payload).to.include({ from: 'pending', to: 'approved', via: 'auto_approval' });
  });

  it('never approves a row twice when processes run the job at the same time', async () => {
    await ledgerRows(server, Array.from({ length: 300 }, () => ({ handle: t.handle, partnerId: 'race', amount: '1.00', status: 'pending', holdUntil: new Date(Date.now() - 1000) })));
    const counts = await Promise.all([autoApproval(server).approveDue(), autoApproval(server).approveDue(), autoApproval(server).approveDue()]);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(300);
    const { rows } = await server.sql.query(
      `select count(*)::int as n from audit_events a join commissions c on a.subject_id = c.commission_id::text
        where c.partner_id = 'race' and a.type = 'commission.status_changed'`);
    expect(rows[0].n).to.equal(300);
  });

  it('runs as a BullMQ repeatable job every minute with Redis, an in-process timer without', async () => {
    expect(autoApproval(server).mode).to.equal('bullmq');
    const scheduler = await autoApproval(server).jobQueue!.getJobScheduler('approve-due-commissions');
    expect(scheduler).to.include({ every: 60_000 });
    const local = await startTestServer({ redis: false });
    try {
      expect(autoApproval(local).mode).to.equal('timer');
    } finally {
      await local.close();
    }
  });
});

describe('commissions: the ledger side of conversion reversals (append-only)', () => {
  // The reversal route (POST .../conversions/reversals) is wired by the conversions work; it calls
  // reverseConversionCommissions in its transaction, as these tests do.
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
    await server.http.put(`/v2/handles/${t.handle}/rewards/ten`).set(t.auth).send({ scope: {}, event: 'sale', type: 'percent', percent: 10 }).expect(201);
  });
  after(async () => server?.close());

  const reverse = async (conversionId: string, amount: string, full: boolean) => {
    const client = await server.sql.connect();
    try {
      await client.query('begin');
      const rows = await reverseConversionCommissions(client, { handle: t.handle, conversionId, amount, value: '100.00', full, reason: 'refund', actor: 'tok' });
      await client.query('commit');
      return rows as Array<{ type: string; amount: number; status: string; reason: string }>;
    } finally {
      client.release();
    }
  };
  const ledgerOf = async (conversionId: string) => {
    const { rows } = await server.sql.query(
      `select type, amount::text as amount, status from commissions where conversion_id = $1 order by created_at, type`, [conversionId]);
    return rows.map((r) => [r.type, r.amount, r.status]);
  };
  const owed = async (conversionId: string) => {
    const { rows } = await server.sql.query(`select coalesce(sum(amount), 0)::text as s from commissions where conversion_id = $1 and status not in ('rejected', 'reversed')`, [conversionId]);
    return rows[0].s;
  };
  const sale = async (partnerId: string) => (await earn(server, [{ handle: t.handle, campaignId: t.campaignId, partnerId, eventType: 'sale', value: '100.00' }]))[0];

  it('unpaid: a partial reversal appends a proportional adjustment, the full one reverses the rest', async () => {
    const c = await sale('r1');
    const partial = await reverse(c.conversionId, '33.35', false);
    expect(partial.map((r) => [r.type, r.amount, r.status, r.reason])).to.deep.equal([['adjustment', -3.34, 'pending', 'refund']]);
    const full = await reverse(c.conversionId, '66.65', true);
    expect(full.map((r) => r.status)).to.deep.equal(['reversed', 'reversed']);
    expect(await ledgerOf(c.conversionId)).to.deep.equal([['conversion', '10.00', 'reversed'], ['adjustment', '-3.34', 'reversed']]);
    expect(await owed(c.conversionId)).to.equal('0');
  });

  it('paid: reversals append approved clawbacks, and the last one takes back exactly what is still owed', async () => {
    const c = await sale('r2');
    await server.sql.query(`update commissions set status = 'paid' where commission_id = $1`, [c.commissionId]);
    expect((await reverse(c.conversionId, '33.35', false)).map((r) => [r.type, r.amount, r.status])).to.deep.equal([['clawback', -3.34, 'approved']]);
    expect((await reverse(c.conversionId, '66.65', true)).map((r) => [r.type, r.amount, r.status])).to.deep.equal([['clawback', -6.66, 'approved']]);
    expect(await owed(c.conversionId)).to.equal('0.00');
    const { rows } = await server.sql.query(`select count(*)::int as n from audit_events where handle = $1 and type = 'commission.created' and payload->>'conversionId' = $2`, [t.handle, c.conversionId]);
    expect(rows[0].n).to.equal(2);
  });

  it('in a pending payout: a clawback nets it out, and a canceled payout then pays nothing', async () => {
    const c = await sale('r3');
    await server.sql.query(`update commissions set status = 'approved', hold_until = now() - interval '1 day' where commission_id = $1`, [c.commissionId]);
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'r3-run', partnerIds: ['r3'] }).expect(201);
    expect(run.body.data.map((p: { amount: number }) => p.amount)).to.deep.equal([10]);
    expect((await reverse(c.conversionId, '100.00', true)).map((r) => [r.type, r.amount])).to.deep.equal([['clawback', -10]]);
    await server.http.post(`/v2/handles/${t.handle}/payouts/${run.body.data[0].payoutId}/cancel`).set(t.auth).expect(200);
    const rerun = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'r3-rerun', partnerIds: ['r3'] }).expect(201);
    expect(rerun.body.data).to.deep.equal([]);
  });

  it('leaves a rejected commission alone', async () => {
    const [c] = await earn(server, [{ handle: t.handle, campaignId: t.campaignId, partnerId: 'r4', eventType: 'sale', value: '100.00', isBot: true }]);
    expect(await reverse(c.conversionId, '100.00', true)).to.deep.equal([]);
    expect(await ledgerOf(c.conversionId)).to.deep.equal([['conversion', '10.00', 'rejected']]);
  });
});

describe('commissions: reconcile proves the ledger', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
  });
  after(async () => server?.close());

  it('finds nothing wrong in a ledger the API wrote, and names each row someone tampered with', async () => {
    const rule = (id: string, body: object) => server.http.put(`/v2/handles/${t.handle}/rewards/${id}`).set(t.auth).send(body).expect(201);
    await rule('pct', { scope: { partnerId: 'pa' }, event: 'sale', type: 'percent', percent: 12.5 });
    await rule('flat', { scope: { partnerId: 'pb' }, event: 'sale', type: 'flat', amount: 2.5 });
    await rule('clk', { scope: {}, event: 'click', type: 'flat', amount: 0.03, holdDays: 0 });
    const values = ['19.99', '0.04', '250.00'];
    const earned = [];
    for (const [i, value] of values.entries()) {
      for (const partnerId of ['pa', 'pb']) {
        const conversionId = await conversionRow(server, t.handle, t.campaignId, value);
        earned.push(...(await earn(server, [{ handle: t.handle, campaignId: t.campaignId, partnerId, eventType: 'sale', value, conversionId, subs: [`s${i}`] }])));
      }
    }
    await accrueClicks(server, [{ handle: t.handle, campaignId: t.campaignId, partnerId: 'pa', occurredAt: new Date(Date.now() - 2 * 86_400_000) }]);
    await server.sql.query(`update commissions set status = 'approved', hold_until = now() - interval '1 hour' where handle = $1`, [t.handle]);
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'rec' }).expect(201);
    await server.http.post(`/v2/handles/${t.handle}/payouts/${run.body.data[0].payoutId}/mark-paid`).set(t.auth).send({}).expect(200);
    const client = await server.sql.connect();
    try {
      await reverseConversionCommissions(client, { handle: t.handle, conversionId: earned[0].conversionId, amount: '9.99', value: '19.99', full: false, reason: 'refund', actor: 'tok' });
    } finally {
      client.release();
    }
    expect(await ledgerMismatches(server.sql, t.handle)).to.deep.equal([]);

    const [pa250] = earned.filter((e) => e.amount === '31.25');
    await server.sql.query(`update commissions set amount = amount + 0.01 where commission_id = $1`, [pa250.commissionId]);
    await server.sql.query(`update payouts set amount = amount + 1 where payout_id = $1`, [run.body.data[1].payoutId]);
    const found = await ledgerMismatches(server.sql, t.handle);
    expect(found.map((m) => m.check)).to.deep.equal([
      'a conversion commission is what its rule gave for its conversion',
      'a payout is the sum and count of its lines; a canceled one has none',
    ]);
    expect(found[0]).to.deep.include({ count: 1, sample: [pa250.commissionId] });
    // pa's payout no longer sums its (tampered) line; pb's payout amount itself was changed.
    expect(run.body.data.map((p: { partnerId: string }) => p.partnerId)).to.deep.equal(['pa', 'pb']);
    expect(found[1].sample).to.have.members(run.body.data.map((p: { payoutId: string }) => p.payoutId));
  });
});
