import { expect } from 'chai';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

type Commission = { commissionId: string; type: string; amount: number; status: string; reason: string | null };

// A partial reversal's adjustment belongs to its commission, and a reversal leaves a rejected commission
// alone: approving or rejecting a commission by hand must never pay for a refunded sale, nor charge a
// partner for a commission it never earned (found by a black-box pass).
describe('commissions: what follows a commission moved by hand', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  async function setup() {
    const t = await partnerCampaign(server, { reportingCurrency: 'EUR' });
    await server.http.post(`/v2/handles/${t.handle}/partners`).set(t.auth).send({ partnerId: 'anna', name: 'Anna' }).expect(201);
    await server.http.patch(`/v2/handles/${t.handle}/campaigns/${t.campaignId}`).set(t.auth).send({ partnerId: 'anna' }).expect(200);
    await server.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 30 }).expect(201);
    const merchant = (await createToken(server, t.handle, t.ownerToken, ['conversions.write'])).auth;
    const base = `/v2/handles/${t.handle}`;
    return {
      handle: t.handle, auth: t.auth, base,
      /** A conversion of `value` EUR and its commission (10 %, pending for 30 days). */
      convert: async (key: string, value: number) => {
        const { ctx } = await storedClick(server, t.handle, t.campaignId);
        await server.http.post(CONVERSIONS).set(merchant).send({ ctx, eventType: 'affiliate_click', idempotencyKey: key, value }).expect(201);
        const { body } = await server.http.get(`${base}/commissions?type=conversion`).set(t.auth).expect(200);
        return (body.data as Array<Commission & { conversionId: string }>).find((c) => c.amount === value / 10)!.commissionId;
      },
      reverseRaw: (key: string, reversalKey: string, amount?: number) =>
        server.http.post(`${base}/conversions/reversals`).set(merchant).send({ idempotencyKey: key, reversalKey, reason: 'refund', ...(amount && { amount }) }),
      reverse: (key: string, reversalKey: string, amount?: number) =>
        server.http.post(`${base}/conversions/reversals`).set(merchant).send({ idempotencyKey: key, reversalKey, reason: 'refund', ...(amount && { amount }) }).expect(201),
      move: (id: string, status: string) => server.http.patch(`${base}/commissions/${id}`).set(t.auth).send({ status, reason: 'checked' }),
      ledger: async () => ((await server.http.get(`${base}/commissions`).set(t.auth).expect(200)).body.data as Commission[]).map((c) => [c.type, c.amount, c.status]).sort(),
      payRaw: (key: string) => server.http.post(`${base}/payouts`).set(t.auth).send({ idempotencyKey: key, periodEnd: '2999-01-01T00:00:00Z' }),
      pay: async (key: string) => (await server.http.post(`${base}/payouts`).set(t.auth).send({ idempotencyKey: key, periodEnd: '2999-01-01T00:00:00Z' }).expect(201)).body.data.map((p: { amount: number }) => p.amount),
    };
  }

  it('never approves a rejected commission whose conversion was then reversed whole', async () => {
    const t = await setup();
    const id = await t.convert('o1', 50);
    await t.move(id, 'rejected').expect(200);
    expect((await t.reverse('o1', 'r1')).body.commissions).to.deep.equal([]);
    const res = await t.move(id, 'approved').expect(409);
    expect(res.body.error.code).to.equal('invalid_transition');
    expect(await t.pay('p1')).to.deep.equal([]);
  });

  it('an approval that waits on a full reversal of its conversion sees it (409), never pays the refunded sale', async () => {
    const t = await setup();
    const id = await t.convert('race', 50);
    await t.move(id, 'rejected').expect(200);
    // The reversal's transaction is held open after its work (commission rows locked, the conversion's
    // reversed value written), so the approval's lock waits on it; then it commits.
    const reversals = server.kernel.container.resolve<{ attempt: (...a: unknown[]) => Promise<unknown> }>('reversals');
    const attempt = reversals.attempt;
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inside = new Promise<void>((r) => (entered = r));
    reversals.attempt = async function (this: unknown, ...a: unknown[]) {
      const out = await attempt.apply(this, a);
      entered();
      await gate;
      return out;
    };
    try {
      const reversal = t.reverse('race', 'r1').then((r) => r); // sent now (a supertest request starts when awaited)
      await inside;
      const approval = t.move(id, 'approved').then((r) => r);
      await new Promise((r) => setTimeout(r, 300)); // the approval is waiting on the rows' locks
      release();
      await reversal;
      expect((await approval).status).to.equal(409);
    } finally {
      reversals.attempt = attempt;
    }
    expect(await t.ledger()).to.deep.equal([['conversion', 5, 'rejected']]);
    expect(await t.pay('p1')).to.deep.equal([]);
  });

  it('a PATCH (which locks the commission and its adjustments) and a payout run over the same rows never deadlock', async () => {
    const t = await setup();
    const m = await t.convert('m', 100);
    const z = await t.convert('z', 70);
    await t.move(m, 'approved').expect(200);
    await t.move(z, 'approved').expect(200);
    const a = (await t.reverse('m', 'r1', 20)).body.commissions[0].commissionId as string;
    // The adjustment first in id order, last in the table: a lock taken in scan order (M, Z, A) crosses
    // the PATCH's id order (A, M). Z is held elsewhere so both statements are mid-way at once.
    const first = '00000000-0000-4000-8000-000000000001';
    await server.sql.query('update commissions set commission_id = $2 where commission_id = $1', [a, first]);
    const blocker = await server.sql.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from commissions where commission_id = $1 for update', [z]);
      const run = t.payRaw('race').then((r) => r);
      await new Promise((r) => setTimeout(r, 300));
      const patch = t.move(m, 'approved').then((r) => r);
      await new Promise((r) => setTimeout(r, 300));
      await blocker.query('commit');
      const [paid, moved] = await Promise.all([run, patch]);
      expect([paid.status, moved.status]).to.deep.equal([201, 200]);
      expect(paid.body.data.map((p: { amount: number }) => p.amount)).to.deep.equal([15]);
    } finally {
      blocker.release();
    }
  });

  it('a PATCH that waited on a partial reversal, and a second reversal behind it, never deadlock', async () => {
    const t = await setup();
    const c0 = await t.convert('two', 100);
    // The commission last in id order: an adjustment a reversal appends sorts before it.
    const c = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
    await server.sql.query('update commissions set commission_id = $2 where commission_id = $1', [c0, c]);
    type Hooked = { attempt?: (...a: unknown[]) => Promise<unknown>; applyMoves?: (...a: unknown[]) => Promise<unknown> };
    const reversals = server.kernel.container.resolve<Hooked>('reversals');
    const ledger = server.kernel.container.resolve<Hooked>('commissionLedger');
    const [attempt, applyMoves] = [reversals.attempt!, ledger.applyMoves!];
    const gate = () => {
      let open!: () => void;
      let reached!: () => void;
      return { wait: new Promise<void>((r) => (open = r)), reached: new Promise<void>((r) => (reached = r)), open: () => open(), arrive: () => reached() };
    };
    const [first, moving] = [gate(), gate()];
    reversals.attempt = async function (this: unknown, ...a: unknown[]) {
      const out = await attempt.apply(this, a);
      first.arrive();
      await first.wait;
      return out;
    };
    ledger.applyMoves = async function (this: unknown, ...a: unknown[]) {
      moving.arrive();
      await moving.wait;
      return applyMoves.apply(this, a);
    };
    try {
      const r1 = t.reverseRaw('two', 'r1', 20).then((r) => r); // holds the conversion, the commission and its new adjustment
      await first.reached;
      reversals.attempt = attempt;
      const patch = t.move(c, 'approved').then((r) => r);
      await new Promise((r) => setTimeout(r, 300)); // the PATCH waits behind the first reversal
      first.open();
      expect((await r1).status).to.equal(201);
      await moving.reached; // the PATCH holds its locks, before its moves
      const r2 = t.reverseRaw('two', 'r2', 10).then((r) => r);
      await new Promise((r) => setTimeout(r, 300));
      moving.open();
      const [moved, second] = await Promise.all([patch, r2]);
      expect([moved.status, second.status]).to.deep.equal([200, 201]);
    } finally {
      reversals.attempt = attempt;
      ledger.applyMoves = applyMoves;
    }
    // Approved together, then the second part appended as approved: 10 - 2 - 1.
    expect(await t.pay('p1')).to.deep.equal([7]);
  });

  it('approving a rejected commission after a partial reversal appends the adjustment the reversal skipped', async () => {
    const t = await setup();
    const id = await t.convert('o2', 60);
    await t.move(id, 'rejected').expect(200);
    await t.reverse('o2', 'r1', 20);
    await t.reverse('o2', 'r2', 10);
    expect(await t.ledger()).to.deep.equal([['conversion', 6, 'rejected']]);
    await t.move(id, 'approved').expect(200);
    expect(await t.ledger()).to.deep.equal([['adjustment', -3, 'approved'], ['conversion', 6, 'approved']]);
    expect(await t.pay('p1')).to.deep.equal([3]);
    // The rest reversed while its payout is pending (unpaid, API.md): the commission and its adjustment are reversed
    // and leave the payout, which, left with nothing to pay, is canceled.
    const rest = await t.reverse('o2', 'r3');
    expect(rest.body.commissions.map((c: Commission) => [c.type, c.amount, c.status]).sort()).to.deep.equal([['adjustment', -3, 'reversed'], ['conversion', 6, 'reversed']]);
    expect(await t.ledger()).to.deep.equal([['adjustment', -3, 'reversed'], ['conversion', 6, 'reversed']]);
  });

  it('rounds the adjustment appended on approval as the reversal would have: the exact share, half up', async () => {
    const t = await setup();
    // 10 % of 0.30 = 0.03; 0.25 of the 0.30 taken back: 0.03 × 0.25 / 0.30 = 0.025 exactly → 0.03 half up. Divided
    // first (0.25 / 0.30 = 0.8333…3, cut at 20 digits) the share rounds to 0.02: the approved commission owed a cent
    // more than the same reversal leaves on a commission that was never rejected.
    await t.convert('o4', 0.3);
    const reversed = await t.reverse('o4', 'r1', 0.25);
    expect(reversed.body.commissions.map((c: Commission) => [c.type, c.amount])).to.deep.equal([['adjustment', -0.03]]);
    const id = await t.convert('o5', 0.3);
    await t.move(id, 'rejected').expect(200);
    await t.reverse('o5', 'r2', 0.25);
    await t.move(id, 'approved').expect(200);
    const { rows } = await server.sql.query(
      `select c.type, c.amount::text as amount, c.status from commissions c join conversions v using (conversion_id)
        where v.idempotency_key = 'o5' and v.handle = c.handle order by c.type`);
    expect(rows.map((r) => [r.type, r.amount, r.status])).to.deep.equal([['adjustment', '-0.03', 'approved'], ['conversion', '0.03', 'approved']]);
  });

  it("moves a commission's adjustments with it: rejected together, approved together, never by hand alone", async () => {
    const t = await setup();
    const id = await t.convert('o3', 80);
    const adjustment = (await t.reverse('o3', 'r1', 20)).body.commissions[0].commissionId as string;
    const refused = (await t.move(adjustment, 'rejected').expect(409)).body.error;
    expect(refused).to.deep.equal({ code: 'invalid_transition', message: "An adjustment follows its conversion's commission: approve or reject that commission instead." });
    await t.move(id, 'rejected').expect(200);
    expect(await t.ledger()).to.deep.equal([['adjustment', -2, 'rejected'], ['conversion', 8, 'rejected']]);
    expect(await t.pay('p1')).to.deep.equal([]);
    await t.move(id, 'approved').expect(200);
    expect(await t.ledger()).to.deep.equal([['adjustment', -2, 'approved'], ['conversion', 8, 'approved']]);
    expect(await t.pay('p2')).to.deep.equal([6]);
  });

  it("an adjustment keeps the reason it exists for (the reversal's) as it follows its commission; the audit names the move's", async () => {
    const t = await setup();
    const id = await t.convert('o4', 60);
    const adjustment = (await t.reverse('o4', 'r1', 10)).body.commissions[0].commissionId as string;
    // A bulk move naming both: the adjustment moved with its commission, so it is answered as moved (the CLI saw its
    // 409 and exited 1, though it was approved: a CLI pass).
    const { body } = await server.http.post(`${t.base}/commissions/bulk`).set(t.auth)
      .send({ commissionIds: [id, adjustment], status: 'approved', reason: 'orders shipped' }).expect(200);
    expect(body.data.map((r: { status: number; commission?: Commission }) => [r.status, r.commission?.status, r.commission?.reason])).to.deep.equal([
      [200, 'approved', 'orders shipped'],
      [200, 'approved', 'refund'],
    ]);
    const audit = await server.sql.query(
      "select payload->>'reason' as reason, payload->>'via' as via from audit_events where handle = $1 and type = 'commission.status_changed' and subject_id = $2",
      [t.handle, adjustment],
    );
    expect(audit.rows).to.deep.equal([{ reason: 'orders shipped', via: 'follows_commission' }]);
    // …and once approved automatically after its hold (it was "hold_elapsed", telling the partner nothing).
    const other = await t.convert('o5', 70);
    await t.reverse('o5', 'r2', 30);
    await server.sql.query("update commissions set hold_until = now() - interval '1 minute' where handle = $1 and conversion_id = (select conversion_id from commissions where commission_id = $2)", [t.handle, other]);
    while ((await server.kernel.container.resolve<{ approveDue(): Promise<number> }>('autoApproval').approveDue()) > 0);
    const rows = (await server.http.get(`${t.base}/commissions?status=approved`).set(t.auth).expect(200)).body.data as Commission[];
    expect(rows.filter((c) => c.amount === 7 || c.amount === -3).map((c) => [c.type, c.amount, c.reason]).sort()).to.deep.equal([['adjustment', -3, 'refund'], ['conversion', 7, 'hold_elapsed']]);
  });
});
