import { expect } from 'chai';
import { compareRows, cents, ledgerTenant, rowsOf, assertLedgerExact, type Row } from '../support/money-races.ts';
import type { AutoApproval } from '../../core/commissions/auto-approval.ts';
import { twoServers, type TestServer } from '../support/server.ts';

// Races on the commission ledger through real HTTP, half the requests on each of two server processes
// sharing one database: approve, reject and reversals of one commission; concurrent partial reversals
// whose amounts sum above the value. After each race the outcome must be one some serial order gives,
// the ledger must reconcile, and the partner's balances must be the sums of its rows.

/** Round half up of a × x / v in cents (all ≥ 0): the share the contract takes back. */
const share = (a: bigint, x: bigint, v: bigint) => (2n * a * x + v) / (2n * v);

// ---- A serial model of approve / reject / partial reversal / full reversal of one unpaid commission ----

interface Model { main: string; reversed: bigint; adjustments: Array<[bigint, string]> }
type Op = 'approve' | 'reject' | 'partial' | 'full';
const COMMISSION = 1000n; // 10 % of 100.00
const VALUE = 10000n;
const PART = 3000n; // the partial reversal: 30.00

function apply(m: Model, op: Op): number {
  const owedBack = () => share(COMMISSION, m.reversed, VALUE) + m.adjustments.filter(([, st]) => st !== 'rejected' && st !== 'reversed').reduce((s, [a]) => s + a, 0n);
  if (op === 'approve') {
    if (m.main === 'approved') return 200;
    if (m.main === 'reversed' || (m.main === 'rejected' && m.reversed >= VALUE)) return 409;
    const from = m.main;
    m.main = 'approved';
    for (const adj of m.adjustments) if (adj[1] === from) adj[1] = 'approved';
    if (from === 'rejected' && m.reversed > 0n && owedBack() > 0n) m.adjustments.push([-owedBack(), 'approved']);
    return 200;
  }
  if (op === 'reject') {
    if (m.main === 'rejected') return 200;
    if (m.main !== 'pending') return 409;
    m.main = 'rejected';
    for (const adj of m.adjustments) if (adj[1] === 'pending') adj[1] = 'rejected';
    return 200;
  }
  const amount = op === 'partial' ? PART : VALUE - m.reversed;
  if (amount <= 0n || m.reversed + amount > VALUE) return 422;
  m.reversed += amount;
  if (m.main !== 'pending' && m.main !== 'approved') return 201;
  if (m.reversed >= VALUE) {
    m.main = 'reversed';
    for (const adj of m.adjustments) if (adj[1] === 'pending' || adj[1] === 'approved') adj[1] = 'reversed';
  } else if (owedBack() > 0n) m.adjustments.push([-owedBack(), m.main]);
  return 201;
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Every outcome (status codes in `ops` order, then the rows) some serial order of `ops` gives. */
function serialOutcomes(ops: Op[]): Set<string> {
  const out = new Set<string>();
  for (const order of permutations(ops.map((op, i) => [op, i] as const))) {
    const m: Model = { main: 'pending', reversed: 0n, adjustments: [] };
    const codes: number[] = [];
    for (const [op, i] of order) codes[i] = apply(m, op);
    const rows: Row[] = [['conversion', COMMISSION, m.main], ...m.adjustments.map(([a, st]): Row => ['adjustment', a, st])];
    out.add(JSON.stringify({ codes, rows: rows.sort(compareRows).map(String) }));
  }
  return out;
}

describe('money races: one commission approved, rejected and reversed at once, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();

  for (const ops of [['approve', 'reject', 'partial', 'full'], ['reject', 'approve', 'partial', 'partial', 'full'], ['reject', 'partial', 'approve', 'partial']] as Op[][]) {
    it(`ends as some serial order of ${ops.join(', ')} would, every time (8 commissions at once)`, async () => {
      // Held 30 days: nothing approves automatically while the race runs.
      const t = await ledgerTenant(s, { percent: 10, holdDays: 30 });
      const allowed = serialOutcomes(ops);
      const targets = await Promise.all(Array.from({ length: 8 }, (_, i) => t.convert(`order-${i}`, 100)));
      const answers = await Promise.all(targets.map(({ commissionId }, i) => Promise.all(ops.map((op, j) => {
        const via = (i + j) % 2 ? s.b : s.a;
        if (op === 'approve' || op === 'reject') return t.move(via, commissionId, op === 'approve' ? 'approved' : 'rejected');
        return t.reverse(via, { idempotencyKey: `order-${i}`, reversalKey: `rv-${i}-${j}`, reason: 'refund', ...(op === 'partial' && { amount: 30 }) });
      }))));
      for (const [i, { conversionId }] of targets.entries()) {
        for (const res of answers[i]) {
          if (res.status === 409) expect(res.body.error.code).to.equal('invalid_transition');
          if (res.status === 422) expect(res.body.error.code).to.equal('over_reversal');
        }
        const seen = JSON.stringify({ codes: answers[i].map((r) => r.status), rows: (await rowsOf(s.a, conversionId)).map(String) });
        expect([...allowed], `order-${i}`).to.include(seen);
      }
      await assertLedgerExact(s, t);
    });
  }
});

describe('money races: partial reversals summing above the value, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();

  it('never takes back more than the value or the commission, and each part is its exact cumulative half-up rounding', async () => {
    // 12.5 % of 3.00 = 0.375 → 0.38: thirds of the value round to 0.13, 0.25, 0.38 cumulatively.
    const t = await ledgerTenant(s, { percent: 12.5, holdDays: 30 });
    const amounts = [1, 1, 0.99, 1, 0.5, 0.01, 0.02, 1];
    for (let round = 0; round < 4; round++) {
      const key = `thirds-${round}`;
      const { conversionId } = await t.convert(key, 3);
      const answers = await Promise.all(amounts.map((amount, i) =>
        t.reverse(i % 2 ? s.b : s.a, { idempotencyKey: key, reversalKey: `${key}-${i}`, amount, reason: 'refund' })));
      const won = answers.flatMap((r, i) => (r.status === 201 ? [{ amount: cents(amounts[i]), parts: r.body.commissions.map((c: { amount: number }) => cents(c.amount)) as bigint[] }] : []));
      for (const r of answers) expect([201, 422]).to.include(r.status);
      for (const r of answers.filter((x) => x.status === 422)) expect(r.body.error.code).to.equal('over_reversal');
      const total = won.reduce((sum, w) => sum + w.amount, 0n);
      expect(total <= 300n, `reversed ${total} of 300`).to.equal(true);
      // Each refused amount was more than what remained when it ran, so more than what remains now.
      answers.forEach((r, i) => r.status === 422 && expect(cents(amounts[i]) > 300n - total, `refused ${amounts[i]}`).to.equal(true));
      const view = await s.b.http.get(`/v2/handles/${t.handle}/conversions/${conversionId}`).set(t.merchant).expect(200);
      expect(cents(view.body.reversedValue)).to.equal(total);
      // Some serial order of the winners gives exactly the parts each one answered; the one that reaches the
      // whole value reverses the commission instead (its answer: the rows it moved), so it can only come last.
      const fits = permutations(won).some((order) => {
        let before = 0n;
        return order.every((w) => {
          const part = share(38n, before + w.amount, 300n) - share(38n, before, 300n);
          before += w.amount;
          if (before === 300n) return w === order[order.length - 1];
          return JSON.stringify(w.parts.map(String)) === JSON.stringify(part === 0n ? [] : [String(-part)]);
        });
      });
      expect(fits, JSON.stringify(won, (_, v) => (typeof v === 'bigint' ? String(v) : v))).to.equal(true);
      const rows = await rowsOf(s.a, conversionId);
      const live = rows.filter((r) => r[2] !== 'rejected' && r[2] !== 'reversed');
      expect(live.reduce((sum, r) => sum + r[1], 0n)).to.equal(38n - share(38n, total, 300n));
      const whole = total === 300n;
      expect(rows.filter((r) => r[0] !== 'conversion').every((r) => r[1] < 0n && r[2] === (whole ? 'reversed' : 'pending'))).to.equal(true);
      expect(view.body.status).to.equal(whole ? 'reversed' : total ? 'partially_reversed' : 'recorded');
    }
    // And the full one racing the parts: the whole commission reversed, never below zero.
    const { conversionId } = await t.convert('thirds-full', 3);
    const answers = await Promise.all([...amounts.slice(0, 4).map((amount) => ({ amount })), {}].map((extra, i) =>
      t.reverse(i % 2 ? s.b : s.a, { idempotencyKey: 'thirds-full', reversalKey: `full-${i}`, reason: 'chargeback', ...extra })));
    expect(answers.map((r) => r.status)).to.include(201);
    expect((await s.a.http.get(`/v2/handles/${t.handle}/conversions/${conversionId}`).set(t.merchant).expect(200)).body).to.include({ reversedValue: 3, status: 'reversed' });
    expect((await rowsOf(s.a, conversionId)).every((r) => r[2] === 'reversed')).to.equal(true);
    await assertLedgerExact(s, t);
  });
});

describe('money races: automatic approval racing a rejection of the commission, from two processes', function () {
  this.timeout(120_000);
  const s = twoServers();
  const autoApproval = (server: TestServer) => server.kernel.container.resolve<AutoApproval>('autoApproval');

  it('never approves an adjustment apart from its commission: the commission held by a rejection, then rejected, leaves nothing to charge', async () => {
    // Due at once (held 0 days), partially reversed while pending: the commission and its adjustment are both due.
    const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
    const sale = await t.convert('held', 100);
    await t.reverse(s.a, { conversionId: sale.conversionId, reversalKey: 'held-30', amount: 30, reason: 'refund' }).expect(201);
    // A rejection in flight holds the commission's row (it locks the commission and its adjustments one by one, in
    // id order); the job skips locked rows. Here the job runs between the two locks: it used to approve the
    // adjustment alone, and the rejection, which moves only adjustments that stood where the commission stood, left it.
    const client = await s.a.sql.connect();
    try {
      await client.query('begin');
      await client.query(`select 1 from commissions where commission_id = $1 for update`, [sale.commissionId]);
      expect(await autoApproval(s.a).approveDue()).to.equal(0);
    } finally {
      await client.query('commit');
      client.release();
    }
    await t.move(s.b, sale.commissionId, 'rejected').expect(200);
    expect(await rowsOf(s.a, sale.conversionId)).to.deep.equal([['adjustment', -300n, 'rejected'], ['conversion', 1000n, 'rejected']]);
    await assertLedgerExact(s, t);
    // Unheld, the job approves the commission and its adjustment together, in one transaction (one now()): a
    // payout run never sees the one without the other.
    const other = await t.convert('free', 100);
    await t.reverse(s.a, { conversionId: other.conversionId, reversalKey: 'free-30', amount: 30, reason: 'refund' }).expect(201);
    expect(await autoApproval(s.b).approveDue()).to.equal(2);
    expect(await rowsOf(s.a, other.conversionId)).to.deep.equal([['adjustment', -300n, 'approved'], ['conversion', 1000n, 'approved']]);
    const { rows: [when] } = await s.a.sql.query(`select count(distinct updated_at)::int as n from commissions where conversion_id = $1`, [other.conversionId]);
    expect(when.n).to.equal(1);
    await assertLedgerExact(s, t);
  });

  it('leaves a commission whose adjustment another transaction holds for the next run, so a payout never pays it gross', async () => {
    const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
    const sale = await t.convert('split', 100);
    await t.reverse(s.a, { conversionId: sale.conversionId, reversalKey: 'split-30', amount: 30, reason: 'refund' }).expect(201);
    const { rows: [adjustment] } = await s.a.sql.query(`select commission_id from commissions where conversion_id = $1 and type = 'adjustment'`, [sale.conversionId]);
    // A reversal or a bulk move locks a conversion's rows in commission id order: it may hold the adjustment, not yet the commission.
    const client = await s.a.sql.connect();
    try {
      await client.query('begin');
      await client.query('select 1 from commissions where commission_id = $1 for update', [adjustment.commission_id]);
      expect(await autoApproval(s.a).approveDue()).to.equal(0);
      expect(await rowsOf(s.a, sale.conversionId)).to.deep.equal([['adjustment', -300n, 'pending'], ['conversion', 1000n, 'pending']]);
      // A payout run meanwhile finds nothing approved: nothing is paid gross.
      const early = await s.b.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'early', partnerIds: ['anna'] }).expect(201);
      expect(early.body.data).to.deep.equal([]);
    } finally {
      await client.query('rollback');
      client.release();
    }
    // Released, the next run approves both at once, and a payout pays the net 7.00.
    expect(await autoApproval(s.b).approveDue()).to.equal(2);
    const payout = await s.b.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'net', partnerIds: ['anna'] }).expect(201);
    expect(payout.body.data.map((p: { amount: number; commissionCount: number }) => [p.amount, p.commissionCount])).to.deep.equal([[7, 2]]);
    await assertLedgerExact(s, t);
  });

  it('under a real race (the job on one process, a bulk rejection of 300 partly reversed commissions on the other), every adjustment stands where its commission does', async () => {
    // The job runs 0 to 2 ms after the bulk request is sent: measured, that is when it overlaps the rejection's row locks.
    for (const delay of [0, 1, 2, 0, 1, 2]) {
      const t = await ledgerTenant(s, { percent: 10, holdDays: 0 });
      const sales: Array<{ commissionId: string; conversionId: string }> = [];
      for (let c = 0; c < 10; c++) sales.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => t.convert(`o-${c}-${i}`, 100)))));
      for (let c = 0; c < 10; c++) {
        await Promise.all(sales.slice(c * 30, c * 30 + 30).map((x, i) =>
          t.reverse(i % 2 ? s.a : s.b, { conversionId: x.conversionId, reversalKey: `r-${c}-${i}`, amount: 30, reason: 'refund' }).expect(201)));
      }
      const [bulk] = await Promise.all([
        s.b.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth).send({ commissionIds: sales.map((x) => x.commissionId), status: 'rejected', reason: 'fraud' }),
        new Promise((resolve) => setTimeout(resolve, delay)).then(() => autoApproval(s.a).approveDue()),
      ]);
      expect(bulk.status).to.equal(200);
      // Right after the racing run, before any other: no commission it approved left an adjustment behind (a payout
      // run now would pay it gross). The job once took a commission whose adjustment the rejection held.
      const { rows: [split] } = await s.a.sql.query(
        `select count(*)::int as n from commissions m join commissions a on a.conversion_id = m.conversion_id and a.type = 'adjustment'
          where m.handle = $1 and m.type = 'conversion' and m.status = 'approved' and a.status = 'pending'`, [t.handle]);
      expect(split.n, `approved commissions with a pending adjustment (delay ${delay} ms)`).to.equal(0);
      const answers = bulk.body.data.map((r: { status: number; commission?: { status: string }; error?: { code: string } }) => JSON.stringify([r.status, r.commission?.status ?? r.error?.code]));
      for (const a of answers) expect(a).to.be.oneOf(['[200,"rejected"]', '[409,"invalid_transition"]']);
      await autoApproval(s.a).approveDue();
      const { rows } = await s.a.sql.query(
        `select m.status as main, a.status as adjustment, count(*)::int as n
           from commissions m join commissions a on a.conversion_id = m.conversion_id and a.type = 'adjustment'
          where m.handle = $1 and m.type = 'conversion' group by 1, 2`, [t.handle]);
      for (const r of rows) expect(r.adjustment, `${r.n} adjustments of ${r.main} commissions`).to.equal(r.main);
      await assertLedgerExact(s, t);
    }
  });
});
