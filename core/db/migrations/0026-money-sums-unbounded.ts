import { Migration } from '@mikro-orm/migrations';

/**
 * Columns that hold sums of money take any size. Every value that comes in is bounded (numeric(14, 2)),
 * but a sum is not: a day's click commission row grows with each click (rate × quantity), a payout adds
 * up a partner's ledger, a rollup a campaign's conversions. At numeric(14, 2) / (18, 2) a large enough
 * sum overflowed: the payout run answered 500, and a click batch holding one overflowing click
 * commission failed whole, so no handle's clicks were stored until the rule was removed. The values
 * stay exact with two decimals (each addend has two); dropping a numeric typmod rewrites no table.
 */
export class Migration0026MoneySumsUnbounded extends Migration {
  override async up(): Promise<void> {
    for (const [table, column] of [
      ['commissions', 'amount'],
      ['payouts', 'amount'],
      ['conversion_rollups', 'value'],
      ['funnel_conversion_hours', 'value'],
      ['funnel_conversion_totals', 'value'],
      ['analytics_dimension_conversion_days', 'value'],
      ['analytics_handle_dimension_conversion_days', 'value'],
    ]) {
      this.addSql(`alter table ${table} alter column ${column} type numeric`);
    }
  }
}
