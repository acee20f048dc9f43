import type { PoolClient } from 'pg';
import { COMMISSION_COLUMNS } from './columns.ts';
import { commissionEventInsert } from './events.ts';
import { statusAuditInsert } from './status-audit.ts';

// A partial reversal's adjustment is part of its commission: it is paid (netted) with it, and it must not
// outlive it. When a person approves or rejects a conversion's commission, its unpaid adjustments that
// stood where the commission stood move with it (audited and announced like every status change), so a
// rejected commission leaves no adjustment to net against the partner, and an approved one pays net.

/** $2 the moved commissions' conversion ids, $3 the status each left; $4 the status, $5 reason, $6 actor, $7 wanted. */
const FOLLOW = `
with parents as (
  select * from unnest($2::uuid[], $3::text[]) as p(conversion_id, from_status)
), moved as (
  -- The adjustment keeps its own reason (the reversal's: refund, chargeback…); the audit event carries the person's.
  update commissions c set status = $4, updated_at = statement_timestamp()
    from parents p
   where c.handle = $1 and c.conversion_id = p.conversion_id and c.type = 'adjustment' and c.payout_id is null and c.status = p.from_status
  returning c.*, p.from_status
), audit as (${statusAuditInsert('moved', '$6::text', `'follows_commission'`, '$5::text')}
), events as (${commissionEventInsert('moved', 'commission.updated', '$7::boolean')})
select ${COMMISSION_COLUMNS} from moved c`;

/** Moves the adjustments of the conversion commissions just moved (conversion id → the status they left) to `to`. */
export async function moveFollowers(
  client: PoolClient, handle: string, parents: Array<[conversionId: string, fromStatus: string]>, to: string, reason: string, actor: string, wanted: boolean,
) {
  if (!parents.length) return [];
  const { rows } = await client.query(FOLLOW, [handle, parents.map((p) => p[0]), parents.map((p) => p[1]), to, reason, actor, wanted]);
  return rows;
}
