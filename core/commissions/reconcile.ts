import type { Pool } from 'pg';
import { withTransaction } from '../db/transaction.ts';

/** One ledger check: what it proves, and the rows (ids) that break it. */
export interface LedgerMismatch {
  check: string;
  count: number;
  sample: string[];
}

// Each query returns the ids of the rows breaking one rule; $1 is the handle.
const CHECKS: Array<[string, string]> = [
  ['a conversion commission is what its rule gave for its conversion', `
    select c.commission_id::text as id from commissions c join conversions v on v.conversion_id = c.conversion_id
     where c.handle = $1 and c.type = 'conversion' and c.amount is distinct from
           case c.rule_type when 'flat' then c.rule_rate else round(v.value * c.rule_rate / 100, 2) end`],
  ['a conversion commission has its conversion', `
    select c.commission_id::text from commissions c
     where c.handle = $1 and c.type = 'conversion' and not exists (select 1 from conversions v where v.conversion_id = c.conversion_id)`],
  ['a click commission is its rate times its clicks (one rate a day)', `
    select c.commission_id::text from commissions c
     where c.handle = $1 and c.type = 'click' and (c.amount < 0 or (c.rule_rate is not null and c.amount <> c.rule_rate * c.quantity))`],
  ['an adjustment or clawback is negative and belongs to a conversion', `
    select c.commission_id::text from commissions c
     where c.handle = $1 and c.type in ('adjustment', 'clawback') and (c.amount >= 0 or c.conversion_id is null)`],
  ['a conversion is never taken back more than it earned', `
    select c.conversion_id::text from commissions c
     where c.handle = $1 and c.conversion_id is not null and c.status not in ('rejected', 'reversed')
     group by c.conversion_id having sum(c.amount) < 0`],
  ['a paid commission is in a paid payout, and a paid payout pays only paid commissions', `
    select c.commission_id::text from commissions c left join payouts p on p.payout_id = c.payout_id
     where c.handle = $1 and ((c.status = 'paid') <> (p.status is not distinct from 'paid'))`],
  ['a commission in a payout is approved (pending payout) or paid', `
    select c.commission_id::text from commissions c join payouts p on p.payout_id = c.payout_id
     where c.handle = $1 and not ((p.status = 'pending' and c.status = 'approved') or (p.status = 'paid' and c.status = 'paid'))`],
  ['a payout is the sum and count of its lines; a canceled one has none', `
    select p.payout_id::text from payouts p
      left join (select payout_id, sum(amount) as amount, count(*)::int as n from commissions where handle = $1 group by 1) l using (payout_id)
     where p.handle = $1 and case when p.status = 'canceled' then l.n is not null
                                  else (p.amount, p.commission_count) is distinct from (l.amount, l.n) end`],
  // Payouts canceled before migration 0034 recorded no releases: nothing to check them against.
  ['a canceled payout released the sum and count it held', `
    select p.payout_id::text from payouts p
      join (select r.payout_id, sum(c.amount) as amount, count(*)::int as n from payout_releases r
              join commissions c on c.commission_id = r.commission_id where r.handle = $1 group by 1) l using (payout_id)
     where p.handle = $1 and (p.status <> 'canceled' or (p.amount, p.commission_count) is distinct from (l.amount, l.n))`],
];

/**
 * Proves the ledger of a handle (issue 15, `tenx reconcile`): every commission is what its rule gave,
 * statuses follow payouts, payouts sum their lines, nothing is paid twice (a row has one payout_id, and
 * a payout's lines are exactly the rows naming it). Empty when all hold. One snapshot for every check.
 */
export async function ledgerMismatches(pg: Pool, handle: string): Promise<LedgerMismatch[]> {
  return withTransaction(pg, async (client) => {
    const out: LedgerMismatch[] = [];
    for (const [check, sql] of CHECKS) {
      const { rows } = await client.query(`select count(*) over ()::int as n, id from (${sql}) x(id) limit 5`, [handle]);
      if (rows.length) out.push({ check, count: rows[0].n, sample: rows.map((r) => r.id) });
    }
    return out;
  }, 'begin isolation level repeatable read read only');
}
