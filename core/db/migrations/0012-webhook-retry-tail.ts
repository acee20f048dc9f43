import { Migration } from '@mikro-orm/migrations';

/** A subscription opts into the hourly retry tail (WEBHOOK_RETRY_TAIL); existing ones keep the seed's schedule. */
export class Migration0012WebhookRetryTail extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table webhooks add column retry_tail boolean not null default false`);
  }
}
