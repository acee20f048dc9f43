import { Migration } from '@mikro-orm/migrations';

/**
 * Adjustments follow their commission (core/commissions/followers.ts) from this release on. Before it,
 * rejecting a commission left its partial reversal's adjustment pending: it would be approved when its
 * hold passed and netted against the partner, for a commission the partner never got, and it can no
 * longer be moved by hand. Such unpaid adjustments (in no payout) are rejected with their commission's
 * reason, each change audited like any status change (actor `system`, via `migration`).
 */
export const REJECT_ADJUSTMENTS_OF_REJECTED = `
      with prev as (
        select a.commission_id, a.status as from_status, m.reason
          from commissions a
          join commissions m on m.handle = a.handle and m.conversion_id = a.conversion_id and m.type = 'conversion'
         where a.type = 'adjustment' and a.payout_id is null and a.status in ('pending', 'approved') and m.status = 'rejected'
      ), moved as (
        update commissions a set status = 'rejected', reason = p.reason, updated_at = now()
          from prev p where a.commission_id = p.commission_id
        returning a.handle, a.commission_id, a.campaign_id, a.partner_id, a.reason, p.from_status
      )
      insert into audit_events (event_id, handle, type, actor, campaign_id, subject_id, payload)
      select gen_random_uuid(), handle, 'commission.status_changed', 'system', campaign_id, commission_id::text,
             jsonb_build_object('commissionId', commission_id, 'partnerId', partner_id, 'from', from_status, 'to', 'rejected',
                                'reason', reason, 'via', 'migration')
        from moved`;

export class Migration0027AdjustmentsFollowRejections extends Migration {
  override async up(): Promise<void> {
    this.addSql(REJECT_ADJUSTMENTS_OF_REJECTED);
  }
}
