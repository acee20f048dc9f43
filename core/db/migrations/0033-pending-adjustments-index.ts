import { Migration } from '@mikro-orm/migrations';

/**
 * Automatic approval approves an adjustment with its commission, or once its commission is approved or paid
 * (core/commissions/auto-approval.ts): it looks adjustments up by conversion among the pending ones. Through the
 * due index (every pending row past its hold, clicks and conversions alike) each batch read the whole backlog to
 * find the few adjustments (200 k due rows: 0.7–1.5 s a batch instead of 64 ms). Pending adjustments are few.
 */
export class Migration0033PendingAdjustmentsIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index commissions_pending_adjustments on commissions (conversion_id) where type = 'adjustment' and status = 'pending'`);
  }
}
