import { Migration } from '@mikro-orm/migrations';

/**
 * A SUSPENDED partner's new commissions are created `rejected`/`partner_suspended` (API.md), click
 * commissions too: its qualified clicks of a day accrue on a row of their own, apart from the day's
 * pending row of the clicks it had while ACTIVE. The day's key gains whether the row counts suspended clicks.
 */
export class Migration0028SuspendedClickCommissions extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table commissions add column suspended_clicks boolean not null default false');
    this.addSql('drop index commissions_click_day');
    this.addSql(`create unique index commissions_click_day on commissions (handle, partner_id, campaign_id, day, currency, suspended_clicks)
                 where type = 'click'`);
  }
}
