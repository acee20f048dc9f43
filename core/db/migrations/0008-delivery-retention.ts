import { Migration } from '@mikro-orm/migrations';

/** The daily purge of finished deliveries (DELIVERY_RETENTION_DAYS) finds them by completion time. */
export class Migration0008DeliveryRetention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index deliveries_finished on deliveries (completed_at) where status in ('succeeded', 'failed')`);
  }
}
