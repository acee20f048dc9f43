import { Migration } from '@mikro-orm/migrations';

/**
 * A canceled payout's commissions leave it (their payout_id is cleared, so the next run can pay them), but its
 * statement should still list what it held: the payout keeps its amount and commissionCount, and a statement
 * that no longer adds up to them (the black-box pass found one of 6 lines and 9.57 with no line at all) proves
 * nothing. The cancel records each commission it released here; rows are only ever added.
 */
export class Migration0034PayoutReleases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table payout_releases (
      handle text not null,
      payout_id uuid not null references payouts(payout_id),
      commission_id uuid not null,
      primary key (payout_id, commission_id)
    )`);
  }
}
