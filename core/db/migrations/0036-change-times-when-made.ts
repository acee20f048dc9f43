import { Migration } from '@mikro-orm/migrations';

/**
 * An audit event is stamped when its change is made, not when the request's transaction began: a bulk approval
 * that waited for a rival PATCH's row lock was logged (now()) before the PATCH it came after, so the log read as
 * if the commission had ended up rejected. Status changes stamp `updated_at` the same way (clock_timestamp() in
 * their statements: core/commissions, core/payouts).
 */
export class Migration0036ChangeTimesWhenMade extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table audit_events alter column created_at set default clock_timestamp()');
  }
}
