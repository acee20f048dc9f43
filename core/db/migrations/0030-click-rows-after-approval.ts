import { Migration } from '@mikro-orm/migrations';

/**
 * A day's click commission row takes the day's clicks while it is open (pending, or rejected). Once a
 * manager approved it (or it was paid), the day's later clicks matched it and were skipped: they earned
 * nothing. The one-row-per-day key now covers only open rows, so those clicks start a new pending row
 * of the same day (a new ledger row, audited and announced like every commission).
 */
export class Migration0030ClickRowsAfterApproval extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop index commissions_click_day');
    this.addSql(`create unique index commissions_click_day on commissions (handle, partner_id, campaign_id, day, currency, suspended_clicks)
                 where type = 'click' and status in ('pending', 'rejected')`);
  }
}
