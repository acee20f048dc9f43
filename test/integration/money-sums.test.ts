import { expect } from 'chai';
import { reconcile } from '../../core/analytics/reconcile.ts';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { parseCsv } from '../support/csv-parse.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { person, trustLocalProxy } from '../support/redirect.ts';
import { startReceiver, type Receiver } from '../support/webhooks.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Every amount that comes in is bounded (999,999,999,999.99), sums are not: a day's click commission
// grows with each click, a payout adds up a ledger. A sum past numeric(14, 2) once failed the payout
// run (500) and the whole click batch — every handle's clicks — until the rule was removed.
describe('money sums beyond any single amount', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  const MAX = 999_999_999_999.99;
  const clicksOf = async (t: { handle: string; auth: Record<string, string> }) =>
    (await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200)).body.totals.clicks as number;
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; !(await ok()); i++) {
      if (i > 100) throw new Error(`${what}: not within 5 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("grows a day's click commission past the largest amount, and another handle's clicks are stored meanwhile", async () => {
    const big = await partnerCampaign(server);
    await createPartner(server, big, 'ana');
    await assignPartner(server, big, big.campaignId, 'ana');
    await server.http.put(`/v2/handles/${big.handle}/rewards/cpc`).set(big.auth)
      .send({ scope: { partnerId: 'ana' }, event: 'click', type: 'flat', amount: MAX, currency: 'USD', holdDays: 0 }).expect(201);
    const other = await partnerCampaign(server);
    await Promise.all([clickThrough(server, big.handle, big.slug), clickThrough(server, big.handle, big.slug), clickThrough(server, other.handle, other.slug)]);
    await until('both handles', async () => (await clicksOf(big)) === 2 && (await clicksOf(other)) === 1);
    await clickThrough(server, big.handle, big.slug);
    await until('the third click', async () => (await clicksOf(big)) === 3);
    const { body } = await server.http.get(`/v2/handles/${big.handle}/commissions?type=click`).set(big.auth).expect(200);
    expect(body.data.map((c: { quantity: number; amount: number }) => [c.quantity, c.amount])).to.deep.equal([[3, 2_999_999_999_999.97]]);
    const { rows } = await server.sql.query(`select amount::text from commissions where handle = $1`, [big.handle]);
    expect(rows).to.deep.equal([{ amount: '2999999999999.97' }]);
  });

  it('pays a partner whose approved ledger sums past the largest amount', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'ben');
    await assignPartner(server, t, t.campaignId, 'ben');
    await server.http.put(`/v2/handles/${t.handle}/rewards/all`).set(t.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 100, holdDays: 0 }).expect(201);
    for (const key of ['k1', 'k2', 'k3']) {
      const ctx = await clickThrough(server, t.handle, t.slug);
      await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: MAX, currency: 'USD', idempotencyKey: key }).expect(201);
    }
    const { body: list } = await server.http.get(`/v2/handles/${t.handle}/commissions?type=conversion`).set(t.auth).expect(200);
    const ids = list.data.map((c: { commissionId: string }) => c.commissionId);
    await server.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth).send({ commissionIds: ids, status: 'approved', reason: 'checked' }).expect(200);
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'big' }).expect(201);
    expect(run.body.data.map((p: { amount: number; commissionCount: number }) => [p.amount, p.commissionCount])).to.deep.equal([[2_999_999_999_999.97, 3]]);
    const { rows } = await server.sql.query(`select amount::text from payouts where handle = $1`, [t.handle]);
    expect(rows).to.deep.equal([{ amount: '2999999999999.97' }]);
  });
});

// JSON carries money as numbers; a double holds 15-16 significant digits, so above 2^53 cents (~9.0e13) one
// would round a sum (90999999999999.09 became 90999999999999.1). What the server writes must be the
// database's digits: the assertions read the raw response text, which a JSON.parse would round again.
describe('money sums above 2^53 cents keep their last cent in every answer', function () {
  this.timeout(60_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    // Each click from its own client IP (person()), or the burst detector would take most for a bot's.
    server = await startTestServer({ env: trustLocalProxy });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
  });

  const MAX = 999_999_999_999.99;
  const N = 91; // 91 × MAX = 90999999999999.09 > 2^53 cents
  const EACH = '90999999999999.09';
  const BOTH = '181999999999998.18'; // the click row and the conversions' commissions
  /** `"key":digits` as a JSON number (not a string), in raw response text. */
  const num = (key: string, digits: string) => new RegExp(`"${key}":${digits.replace('.', '\\.')}[,}\\]]`);
  const until = async <T>(what: string, probe: () => Promise<T | false>) => {
    for (let i = 0; ; i++) {
      const value = await probe();
      if (value !== false) return value;
      if (i > 200) throw new Error(`${what}: not within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('in the commissions summary, the balances, the payout (its statement, event and audit) and the funnel', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'ana');
    await assignPartner(server, t, t.campaignId, 'ana');
    await server.http.put(`/v2/handles/${t.handle}/rewards/cpc`).set(t.auth)
      .send({ scope: { partnerId: 'ana' }, event: 'click', type: 'flat', amount: MAX, currency: 'USD', holdDays: 0 }).expect(201);
    await server.http.put(`/v2/handles/${t.handle}/rewards/all`).set(t.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 100, holdDays: 0 }).expect(201);
    for (let i = 0; i < N; i += 13) {
      await Promise.all(Array.from({ length: Math.min(13, N - i) }, async (_, j) => {
        const ctx = await clickThrough(server, t.handle, t.slug, person());
        await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: MAX, currency: 'USD', idempotencyKey: `k${i + j}` }).expect(201);
      }));
    }
    // One click row of N × MAX, once every click is stored; made yesterday's (its day over, its hold too), so it may be approved and paid.
    await until('the click row', async () => {
      const { body } = await server.http.get(`/v2/handles/${t.handle}/commissions?type=click`).set(t.auth).expect(200);
      return body.data[0]?.quantity === N;
    });
    await server.sql.query(`update commissions set day = day - 1, hold_until = hold_until - interval '1 day' where handle = $1 and type = 'click'`, [t.handle]);
    const { rows } = await server.sql.query('select commission_id from commissions where handle = $1', [t.handle]);
    expect(rows).to.have.length(N + 1);
    await server.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth)
      .send({ commissionIds: rows.map((r) => r.commission_id), status: 'approved', reason: 'checked' }).expect(200);

    const list = await server.http.get(`/v2/handles/${t.handle}/commissions`).set(t.auth).expect(200);
    expect(list.body.summary).to.have.length(1);
    expect(list.text).to.match(num('amount', BOTH));
    const click = await server.http.get(`/v2/handles/${t.handle}/commissions?type=click`).set(t.auth).expect(200);
    expect(click.text).to.match(num('amount', EACH)); // the click row itself, and its summary
    expect(click.text.match(new RegExp(num('amount', EACH), 'g'))).to.have.length(2);

    const ana = await partnerToken(server, t, 'ana');
    const before = await server.http.get(`/v2/handles/${t.handle}/partner`).set(ana.auth).expect(200);
    expect(before.text).to.match(num('approved', BOTH));
    expect(before.text).to.match(num('pending', '0'));

    await server.http.post(`/v2/handles/${t.handle}/webhooks`).set(t.auth).send({ endpointUrl: receiver.url, eventTypes: ['payout.created'] }).expect(201);
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'big' }).expect(201);
    expect(run.text).to.match(num('amount', BOTH));
    const payoutId = run.body.data[0].payoutId as string;
    expect((await server.http.get(`/v2/handles/${t.handle}/payouts/${payoutId}`).set(t.auth).expect(200)).text).to.match(num('amount', BOTH));
    const csv = await server.http.get(`/v2/handles/${t.handle}/payouts/${payoutId}/statement`).set(t.auth).expect(200);
    const table = parseCsv(csv.text);
    expect(table).to.have.length(N + 2); // the header, the click row, the conversions' commissions
    const amountAt = table[0].indexOf('amount');
    expect(table.slice(1).map((r) => r[amountAt]).sort()).to.deep.equal([EACH, ...Array(N).fill('999999999999.99')]);
    const ndjson = await server.http.get(`/v2/handles/${t.handle}/payouts/${payoutId}/statement?format=ndjson`).set(t.auth).buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => cb(null, text));
    }).expect(200);
    expect((ndjson.body as string).trim().split('\n').filter((l) => num('amount', EACH).test(l))).to.have.length(1);
    // The payout.created event (its data is the payout, a jsonb payload) and the audit trail's copy.
    await receiver.waitFor((r) => r.length > 0, 10_000, 'payout.created');
    expect(receiver.received[0].body).to.match(num('amount', BOTH));
    const audit = await server.http.get(`/v2/handles/${t.handle}/audit-events?type=payout.created`).set(t.auth).expect(200);
    expect(audit.text).to.match(num('amount', BOTH));
    await server.http.post(`/v2/handles/${t.handle}/payouts/${payoutId}/mark-paid`).set(t.auth).send({}).expect(200);
    const after = await server.http.get(`/v2/handles/${t.handle}/partner`).set(ana.auth).expect(200);
    expect(after.text).to.match(num('paid', BOTH));
    expect(after.text).to.match(num('approved', '0'));

    const funnel = await until('the conversions in the funnel', async () => {
      const res = await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200);
      return res.body.totals.conversions === N && res.body.totals.clicks === N && res;
    });
    for (const key of ['revenue', 'netRevenue', 'USD']) expect(funnel.text).to.match(num(key, EACH));
    const own = await server.http.get(`/v2/handles/${t.handle}/partner/analytics?funnel=true`).set(ana.auth).expect(200);
    expect(own.text).to.match(num('revenue', EACH));
    expect(JSON.stringify(own.body.totals.commission)).to.equal('{"USD":181999999999998.2}'); // what JSON.parse makes of it
    expect(own.text).to.match(new RegExp(`"commission":\\{"USD":${BOTH.replace('.', '\\.')}\\}`));
    const byCampaign = await server.http.get(`/v2/handles/${t.handle}/analytics?groupBy=campaign`).set(t.auth).expect(200);
    expect(byCampaign.text).to.match(num('revenue', EACH));

    // The views still agree on the exact sums (reconcile adds them up in whole cents).
    const report = await reconcile(server.sql, t.handle);
    expect(report.mismatches).to.deep.equal([]);
  });

  it('leaves ordinary amounts plain JSON numbers (sums made exact by PostgreSQL, not floats)', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'bo');
    await assignPartner(server, t, t.campaignId, 'bo');
    await server.http.put(`/v2/handles/${t.handle}/rewards/all`).set(t.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 100, holdDays: 0 }).expect(201);
    for (const [key, value, currency] of [['a', 0.1, 'USD'], ['b', 0.2, 'USD'], ['c', 12.5, 'EUR']] as const) {
      const ctx = await clickThrough(server, t.handle, t.slug);
      await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value, currency, idempotencyKey: key }).expect(201);
    }
    const list = await server.http.get(`/v2/handles/${t.handle}/commissions`).set(t.auth).expect(200);
    expect(list.body.summary).to.deep.equal([
      { currency: 'EUR', status: 'pending', count: 1, amount: 12.5 },
      { currency: 'USD', status: 'pending', count: 2, amount: 0.3 },
    ]);
    expect(list.text).to.match(num('amount', '0.3')).and.to.match(num('amount', '12.5')).and.to.match(num('amount', '0.1'));
    const bo = await partnerToken(server, t, 'bo');
    const profile = await server.http.get(`/v2/handles/${t.handle}/partner`).set(bo.auth).expect(200);
    expect(profile.body.balances).to.deep.equal([
      { currency: 'EUR', pending: 12.5, approved: 0, paid: 0 },
      { currency: 'USD', pending: 0.3, approved: 0, paid: 0 },
    ]);
    const funnel = await until('the conversions in the funnel', async () => {
      const res = await server.http.get(`/v2/handles/${t.handle}/analytics?funnel=true`).set(t.auth).expect(200);
      return res.body.totals.conversions === 3 && res;
    });
    expect(funnel.body.totals).to.include({ revenue: 0.3, netRevenue: 0.3 });
    expect(funnel.body.totals.revenueByCurrency).to.deep.equal({ EUR: 12.5, USD: 0.3 });
    expect(funnel.text).to.match(num('revenue', '0.3'));
  });
});
