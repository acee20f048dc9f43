import { Migration } from '@mikro-orm/migrations';

/**
 * Sub-IDs (API.md "Sub-IDs"): five optional labels per click, copied onto each conversion of that
 * click when it is recorded (a conversion is read and exported without joining its click). Nullable
 * columns without a default: PostgreSQL adds them without rewriting either table.
 */
export class Migration0015SubIds extends Migration {
  override async up(): Promise<void> {
    for (const table of ['clicks', 'conversions']) {
      this.addSql(`alter table ${table} add column sub1 text, add column sub2 text, add column sub3 text, add column sub4 text, add column sub5 text`);
    }
  }
}
