import { expect } from 'chai';
import { ledgerMismatches, toCents } from '../../core/commissions/index.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from './conversions.ts';
import { assignPartner, createPartner, partnerToken } from './partners.ts';
import { createToken, type TestServer } from './server.ts';

// What the money-races-*.test.ts files share: a tenant whose partner earns through real conversions, and
// the checks every race ends with.

export type Pair = { a: TestServer; b: TestServer };
export type Row = [type: string, cents: bigint, status: string];

export const cents = (n: number | string) => toCents(typeof n === 'number' ? n.toFixed(2) : n);

/** A handle with partner anna on its campaign, a percent rule, a merchant token and anna's partner token. */
export async function ledgerTenant(s: Pair, rule: { percent: number; holdDays: number }) {
  const t = await partnerCampaign(s.a, { reportingCurrency: 'EUR' });
  await createPartner(s.a, t, 'anna');
  await assignPartner(s.a, t, t.campaignId, 'anna');
  await s.a.http.put(`/v2/handles/${t.handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', ...rule }).expect(201);
  const merchant = (await createToken(s.a, t.handle, t.ownerToken, ['conversions.write', 'conversions.read'])).auth;
  const anna = await partnerToken(s.a, t, 'anna');
  const convert = async (key: string, value: number) => {
    const { ctx } = await storedClick(s.a, t.handle, t.campaignId);
    const res = await s.a.http.post(CONVERSIONS).set(merchant).send({ ctx, eventType: 'affiliate_click', idempotencyKey: key, value }).expect(201);
    const { rows: [c] } = await s.a.sql.query(`select commission_id from commissions where conversion_id = $1 and type = 'conversion'`, [res.body.conversionId]);
    return { conversionId: res.body.conversionId as string, commissionId: c.commission_id as string };
  };
  const reverse = (via: TestServer, body: Record<string, unknown>) => via.http.post(`/v2/handles/${t.handle}/conversions/reversals`).set(merchant).send(body);
  const move = (via: TestServer, commissionId: string, status: string) =>
    via.http.patch(`/v2/handles/${t.handle}/commissions/${commissionId}`).set(t.auth).send({ status, reason: 'race' });
  return { ...t, merchant, anna, convert, reverse, move };
}
export type Tenant = Awaited<ReturnType<typeof ledgerTenant>>;

/** The conversion's ledger rows, sorted, amounts in cents. */
export async function rowsOf(server: TestServer, conversionId: string): Promise<Row[]> {
  const { rows } = await server.sql.query(`select type, amount::text as amount, status from commissions where conversion_id = $1`, [conversionId]);
  return rows.map((r): Row => [r.type, toCents(r.amount), r.status]).sort(compareRows);
}
export const compareRows = (x: Row, y: Row) => `${x[0]}|${x[1]}|${x[2]}`.localeCompare(`${y[0]}|${y[1]}|${y[2]}`);

/**
 * The ledger reconciles (no row paid twice, payouts sum their lines, no conversion taken back below 0), and
 * the partner's balances (GET .../partner with its own token, on either process) are the sums of its rows
 * by status, recomputed here in integer cents from every row.
 */
export async function assertLedgerExact(s: Pair, t: Tenant) {
  expect(await ledgerMismatches(s.a.sql, t.handle)).to.deep.equal([]);
  const { rows } = await s.a.sql.query(`select currency, status, amount::text as amount from commissions where handle = $1 and partner_id = 'anna'`, [t.handle]);
  const want: Record<string, Record<string, bigint>> = {};
  for (const r of rows) {
    if (!['pending', 'approved', 'paid'].includes(r.status)) continue;
    want[r.currency] ??= { pending: 0n, approved: 0n, paid: 0n };
    want[r.currency][r.status] += toCents(r.amount);
  }
  for (const via of [s.a, s.b]) {
    const me = await via.http.get(`/v2/handles/${t.handle}/partner`).set(t.anna.auth).expect(200);
    const got = Object.fromEntries(me.body.balances.map((b: Record<string, number | string>) =>
      [b.currency, { pending: cents(b.pending), approved: cents(b.approved), paid: cents(b.paid) }]));
    expect(got).to.deep.equal(want);
  }
}

