import { Migration } from '@mikro-orm/migrations';

/**
 * A click's MAX_CONVERSIONS_PER_CLICK budget per event type is kept apart for conversions posted with
 * the ctx alone (authenticated false): anyone holding a visitor's ctx could spend the whole budget with
 * unauthenticated submissions and have the merchant's authenticated sale refused (422). Counts written
 * before this split stay on the authenticated side (the stricter reading).
 */
export class Migration0029UnauthenticatedConversionBudget extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table click_conversion_counts add column authenticated boolean not null default true');
    this.addSql('alter table click_conversion_counts drop constraint click_conversion_counts_pkey');
    this.addSql('alter table click_conversion_counts add primary key (click_id, event_type, authenticated)');
  }
}
