import { Migration } from '@mikro-orm/migrations';
import { REJECT_ADJUSTMENTS_OF_REJECTED } from './0027-adjustments-follow-rejections.ts';

/**
 * Until this release automatic approval approved an adjustment on its own hold (core/commissions/auto-approval.ts):
 * racing a rejection that held its commission's row, it skipped the commission and approved the adjustment, which
 * the rejection (moving only the adjustments that stood where the commission stood) then left approved against a
 * rejected commission, charging the partner for a sale it never earned. The same repair as 0027: such unpaid
 * adjustments are rejected with their commission's reason, audited (actor `system`, via `migration`).
 */
export class Migration0032AdjustmentsApprovedApart extends Migration {
  override async up(): Promise<void> {
    this.addSql(REJECT_ADJUSTMENTS_OF_REJECTED);
  }
}
