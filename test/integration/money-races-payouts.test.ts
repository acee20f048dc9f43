import { expect } from 'chai';
import type { AutoApproval } from '../../core/commissions/auto-approval.ts';
import { toCents } from '../../core/commissions/index.ts';
import { ledgerRows } from '../support/commissions.ts';
import { assertLedgerExact, cents, ledgerTenant, rowsOf, type Tenant } from '../support/money-races.ts';
import { twoServers, type TestServer } from '../support/server.ts';

// Payouts raced through real HTTP on two server processes sharing one database: reversals (clawbacks)
// racing the run that would pay the original commission; a run racing mark-paid or cancel of another
// payout of the same partner; cancel racing mark-paid of one payout. After each race the ledger
// reconciles, each commission is in at most one live payout, and what the partner is paid plus what it
// is still owed is exactly what it earned.

const DAY = 86_400_000;

const payouts = (via: TestServer, t: Tenant) => `/v2/handles/${t.handle}/payouts`;
const run = (via: TestServer, t: Tenant, idempotencyKey: string) => via.http.post(payouts(via, t)).set(t.auth).send({ idempotencyKey, partnerIds: ['anna'] });
const act = (via: TestServer, t: Tenant, payoutId: string, action: 'mark-paid' | 'cancel') => via.http.post(`${payouts(via, t)}/${payoutId}/${action}`).set(t.auth).send({});

/** Anna's paid and pending payouts plus her approved rows in no payout, in cents: what she is paid or owed now. */
async function settledAndOwed(server: TestServer, handle: string) {
  const { rows: [r] } = await server.sql.query(
    `select (select coalesce(sum(amount), 0)::text from payouts where handle = $1 and partner_id = 'anna' and status <> 'canceled') as payouts,
            (select coalesce(sum(amount), 0)::text from commissions where handle = $1 and partner_id = 'anna' and status = 'approved' and payout_id is null) as owed,
            (select coalesce(sum(amount), 0)::text from commissions where handle = $1 and partner_id = 'anna' and status in ('approved', 'paid')) as earned`,
    [handle],
  );
  return { payouts: toCents(r.payouts), owed: toCents(r.owed), earned: toCents(r.earned) };
}

describe('money races: reversals racing the payout run that would pay their commissions, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();

  for (let round = 0; round < 3; round++) {
    it(`pays each commission once and nets every reversal exactly (round ${round + 1})`, async () => {
      const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
      const sales = await Promise.all([100, 100, 100, 100, 100, 33.35].map((value, i) => t.convert(`sale-${i}`, value)));
      await s.a.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth)
        .send({ commissionIds: sales.map((c) => c.commissionId), status: 'approved', reason: 'checked' }).expect(200);
      // 30 of 100, all of 100, 50 of 100, all of 100, nothing, 10 of 33.35 (3.34 × 10 / 33.35 = 1.0014… → 1.00).
      const reversals: Array<[number, number | undefined]> = [[0, 30], [1, undefined], [2, 50], [3, undefined], [5, 10]];
      const answers = await Promise.all([
        run(round % 2 ? s.b : s.a, t, 'race'),
        ...reversals.map(([i, amount], j) => t.reverse(j % 2 ? s.a : s.b, { idempotencyKey: `sale-${i}`, reversalKey: `rv-${i}`, reason: 'refund', ...(amount && { amount }) })),
      ]);
      expect(answers.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201, 201]);
      const net = [700n, 0n, 500n, 0n, 1000n, 234n];
      for (const [i, c] of sales.entries()) {
        const rows = await rowsOf(s.a, c.conversionId);
        expect(rows.filter((r) => r[2] !== 'rejected' && r[2] !== 'reversed').reduce((sum, r) => sum + r[1], 0n), `sale-${i}`).to.equal(net[i]);
      }
      const [runAnswer] = answers;
      // Each payout as it is now (a full reversal after the run took its commission out) is the sum and count of its lines.
      for (const { payoutId } of runAnswer.body.data) {
        const p = (await s.b.http.get(`${payouts(s.b, t)}/${payoutId}`).set(t.auth).expect(200)).body;
        const { rows: [l] } = await s.a.sql.query(`select coalesce(sum(amount), 0)::text as amount, count(*)::int as n from commissions where payout_id = $1`, [payoutId]);
        if (p.status === 'canceled') expect(l.n, 'a canceled payout holds no line').to.equal(0);
        else expect([cents(p.amount), p.commissionCount]).to.deep.equal([toCents(l.amount), l.n]);
      }
      await assertLedgerExact(s, t);
      const earned = net.reduce((x, y) => x + y, 0n);
      expect((await settledAndOwed(s.a, t.handle)).earned).to.equal(earned);
      // Pay what the race paid, run again: every cent earned is paid or carried (a negative rest carries forward).
      for (const p of runAnswer.body.data) {
        const now = (await s.b.http.get(`${payouts(s.b, t)}/${p.payoutId}`).set(t.auth).expect(200)).body;
        if (now.status === 'pending') await act(s.b, t, p.payoutId, 'mark-paid').expect(200);
      }
      await run(s.a, t, 'after').expect(201);
      const end = await settledAndOwed(s.a, t.handle);
      expect(end.payouts + end.owed).to.equal(earned);
      expect(end.owed <= 0n, `owed ${end.owed}`).to.equal(true);
      await assertLedgerExact(s, t);
    });
  }
});

describe('money races: a payout run racing mark-paid or cancel of the same partner\'s other payout, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();

  for (const action of ['cancel', 'mark-paid'] as const) {
    it(`${action} of the first payout and a second run: each line in exactly one live payout, the sums exact`, async () => {
      const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
      const due = new Date(Date.now() - DAY);
      // Click days written as rows (no conversion to reverse here): the payouts read the ledger however its rows came to be.
      const line = (amount: string) => ({ handle: t.handle, partnerId: 'anna', campaignId: t.campaignId, type: 'click' as const, amount, holdUntil: due });
      for (let i = 0; i < 8; i++) {
        await ledgerRows(s.a, [line('3.01'), line('4.02')]);
        const p1 = (await run(s.a, t, `p1-${i}`).expect(201)).body.data[0];
        // Two new approved lines arrive, then the second run races the first payout's move.
        await ledgerRows(s.a, [line('4.45'), line('0.55')]);
        const [moved, second] = await Promise.all([act(i % 2 ? s.a : s.b, t, p1.payoutId, action), run(i % 2 ? s.b : s.a, t, `p2-${i}`)]);
        expect([moved.status, second.status]).to.deep.equal([200, 201]);
        expect(moved.body).to.include({ payoutId: p1.payoutId, status: action === 'cancel' ? 'canceled' : 'paid' });
        // Marked paid, the first payout keeps its lines: the second pays exactly the two new ones.
        if (action === 'mark-paid') expect(second.body.data.map((p: { amount: number; commissionCount: number }) => [p.amount, p.commissionCount])).to.deep.equal([[5, 2]]);
        await assertLedgerExact(s, t);
      }
      await run(s.b, t, 'rest').expect(201);
      const { rows: [r] } = await s.a.sql.query(
        `select count(*) filter (where c.payout_id is null)::int as unpaid,
                count(*) filter (where p.status = 'canceled')::int as in_canceled
           from commissions c left join payouts p using (payout_id) where c.handle = $1`, [t.handle]);
      expect(r).to.deep.equal({ unpaid: 0, in_canceled: 0 });
      const end = await settledAndOwed(s.a, t.handle);
      expect(end).to.deep.equal({ payouts: 8n * 1203n, owed: 0n, earned: 8n * 1203n });
    });
  }
});

describe('money races: cancel and mark-paid of one payout at once, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();

  it('exactly one wins; the other is 409 invalid_transition, and the lines follow the winner', async () => {
    const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
    const due = new Date(Date.now() - DAY);
    for (let i = 0; i < 12; i++) {
      const lines = await ledgerRows(s.a, [
        { handle: t.handle, partnerId: 'anna', campaignId: t.campaignId, type: 'click', amount: '7.66', holdUntil: due },
        { handle: t.handle, partnerId: 'anna', campaignId: t.campaignId, type: 'click', amount: '2.34', holdUntil: due },
      ]);
      const [p] = (await run(s.a, t, `k-${i}`).expect(201)).body.data;
      expect(p).to.include({ amount: 10, commissionCount: 2 });
      const [paid, canceled] = await Promise.all([act(i % 2 ? s.a : s.b, t, p.payoutId, 'mark-paid'), act(i % 2 ? s.b : s.a, t, p.payoutId, 'cancel')]);
      expect([paid.status, canceled.status].sort()).to.deep.equal([200, 409]);
      const [winner, loser] = paid.status === 200 ? [paid, canceled] : [canceled, paid];
      expect(loser.body.error.code).to.equal('invalid_transition');
      const status = winner === paid ? 'paid' : 'canceled';
      expect(winner.body).to.include({ payoutId: p.payoutId, status });
      expect((await s.b.http.get(`${payouts(s.b, t)}/${p.payoutId}`).set(t.auth).expect(200)).body.status).to.equal(status);
      const { rows } = await s.a.sql.query('select status, payout_id from commissions where commission_id = any($1)', [lines]);
      expect(rows.map((r) => [r.status, r.payout_id])).to.deep.equal(status === 'paid' ? [['paid', p.payoutId], ['paid', p.payoutId]] : [['approved', null], ['approved', null]]);
      if (status === 'canceled') await run(s.b, t, `again-${i}`).expect(201);
      await assertLedgerExact(s, t);
    }
  });
});

describe('money races: everything at once on one partner, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();
  const autoApproval = (server: TestServer) => server.kernel.container.resolve<AutoApproval>('autoApproval');

  it('bulk approve and reject, two runs, mark-paid, cancel, the approval job and 90 reversals: no 5xx, every conversion nets exactly', async () => {
    for (let round = 0; round < 3; round++) {
      const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
      const sales = await Promise.all(Array.from({ length: 60 }, (_, i) => t.convert(`o-${i}`, 100 + i + 0.05)));
      const ids = sales.map((x) => x.commissionId);
      const bulk = (via: TestServer, commissionIds: string[], status: string) =>
        via.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth).send({ commissionIds, status, reason: 'race' });
      await bulk(s.a, ids.slice(0, 20), 'approved').expect(200);
      const [p0] = (await run(s.a, t, 'p0').expect(201)).body.data;
      await bulk(s.a, ids.slice(20, 30), 'approved').expect(200);
      const [p1] = (await run(s.a, t, 'p1').expect(201)).body.data;
      const shuffled = [...ids].sort(() => Math.random() - 0.5);
      const answers = await Promise.all([
        bulk(s.a, shuffled.slice(0, 45), 'approved'),
        bulk(s.b, [...shuffled].reverse().slice(0, 45), 'rejected'),
        run(s.a, t, 'race-a'),
        run(s.b, t, 'race-b'),
        act(s.a, t, p0.payoutId, 'mark-paid'),
        act(s.b, t, p1.payoutId, 'cancel'),
        ...[s.a, s.b].map((via) => autoApproval(via).approveDue().then(() => ({ status: 200, body: {} }))),
        // Two reversals of every conversion (one whole, two of 33.33 and 20.01 for the first 30), half on each process.
        ...sales.map((x, i) => t.reverse(i % 2 ? s.a : s.b, { conversionId: x.conversionId, reversalKey: `r-${i}`, reason: 'refund', ...(i % 3 ? { amount: 33.33 } : {}) })),
        ...sales.slice(0, 30).map((x, i) => t.reverse(i % 2 ? s.b : s.a, { conversionId: x.conversionId, reversalKey: `q-${i}`, reason: 'refund', amount: 20.01 })),
      ]);
      for (const r of answers) expect(r.status, JSON.stringify(r.body)).to.be.oneOf([200, 201, 422]);
      await run(s.b, t, 'end').expect(201);
      await assertLedgerExact(s, t);
      // Each conversion nets to its commission less the half-up share of what was reversed (0 once rejected).
      const { rows: off } = await s.a.sql.query(
        `select v.conversion_id, m.status, l.live::text from conversions v
           join commissions m on m.conversion_id = v.conversion_id and m.type = 'conversion'
          cross join lateral (select coalesce(sum(x.amount) filter (where x.status not in ('rejected', 'reversed')), 0) as live
                                from commissions x where x.conversion_id = v.conversion_id) l
          where v.handle = $1
            and l.live <> case when m.status = 'rejected' then 0 else m.amount - div(m.amount * v.reversed_value * 200 + v.value, v.value * 2) / 100 end`,
        [t.handle]);
      expect(off).to.deep.equal([]);
      const end = await settledAndOwed(s.a, t.handle);
      expect(end.payouts + end.owed).to.equal(end.earned);
    }
  });
});

describe('money races: reversals of commissions in a pending payout racing its mark-paid or cancel, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();

  // API.md: a commission in a pending payout is unpaid: a full reversal makes it `reversed` and takes it out of the
  // payout (which shrinks), a partial one appends an adjustment; once the payout is paid, a clawback. Whichever
  // commits first, no request fails, no line is paid twice, and every conversion nets exactly.
  for (const [round, action] of (['mark-paid', 'cancel', 'mark-paid', 'cancel', 'mark-paid', 'cancel'] as const).entries()) {
    it(`${action} racing five reversals of its lines (round ${round + 1})`, async () => {
      const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
      const sales = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => t.convert(`sale-${i}`, 100)));
      await s.a.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth)
        .send({ commissionIds: sales.map((c) => c.commissionId), status: 'approved', reason: 'checked' }).expect(200);
      const first = await run(s.a, t, 'first').expect(201);
      expect(first.body.data.map((p: { amount: number; commissionCount: number }) => [p.amount, p.commissionCount])).to.deep.equal([[60, 6]]);
      const payoutId = first.body.data[0].payoutId;
      // All of sale-0, 30 of sale-1, all of sale-2, 50 of sale-3, all of sale-4; sale-5 is left alone.
      const reversals: Array<[number, number | undefined]> = [[0, undefined], [1, 30], [2, undefined], [3, 50], [4, undefined]];
      // A reversal does more work than a mark-paid: sent at once, the payout always went first. Sent a few
      // milliseconds later in each round, it lands among them (checked: rounds end with reversed and clawed back lines).
      const late = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const answers = await Promise.all([
        late(round * 4).then(() => act(round % 2 ? s.a : s.b, t, payoutId, action)),
        ...reversals.map(([i, amount], j) => t.reverse(j % 2 ? s.a : s.b, { idempotencyKey: `sale-${i}`, reversalKey: `rv-${i}`, reason: 'refund', ...(amount && { amount }) })),
      ]);
      expect(answers.map((r) => r.status)).to.deep.equal([200, 201, 201, 201, 201, 201]);
      const net = [0n, 700n, 0n, 500n, 0n, 1000n];
      for (const [i, c] of sales.entries()) {
        const rows = await rowsOf(s.a, c.conversionId);
        expect(rows.filter((r) => r[2] !== 'rejected' && r[2] !== 'reversed').reduce((sum, r) => sum + r[1], 0n), `sale-${i}`).to.equal(net[i]);
        // Reversed whole while unpaid, or clawed back once paid: never both, never neither.
        if (net[i] === 0n) expect(rows.some((r) => r[2] === 'reversed') !== rows.some((r) => r[0] === 'clawback'), `sale-${i} ${JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`).to.equal(true);
      }
      await assertLedgerExact(s, t);
      const earned = net.reduce((x, y) => x + y, 0n);
      // Whatever is still due is paid by a run after the race: every cent earned is paid or carried.
      const after = await run(s.b, t, 'after').expect(201);
      for (const p of after.body.data) await act(s.a, t, p.payoutId, 'mark-paid').expect(200);
      const pending = await s.a.sql.query(`select payout_id from payouts where handle = $1 and status = 'pending'`, [t.handle]);
      for (const p of pending.rows) await act(s.a, t, p.payout_id, 'mark-paid').expect(200);
      const end = await settledAndOwed(s.a, t.handle);
      expect(end.payouts + end.owed).to.equal(earned);
      await assertLedgerExact(s, t);
    });
  }
});
