import { Migration } from '@mikro-orm/migrations';

/**
 * Partner postbacks (API.md "Events, postbacks"): a postback is a webhooks row of kind
 * `postback` (partner_id set, channel 'postback'), so the one delivery engine (outbox fan-out,
 * leases, retries, attempts, panel, retention) carries both. endpoint_url holds the URL template;
 * each delivery stores the URL expanded for its event, so every retry calls the same URL.
 */
export class Migration0018Postbacks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table webhooks add column partner_id text,
      add column method text check (method in ('GET', 'POST')),
      add constraint webhooks_postback_kind check ((partner_id is null) = (method is null))`);
    // A partner's postbacks go with the partner.
    this.addSql(`alter table webhooks add constraint webhooks_partner
      foreign key (handle, partner_id) references partners (handle, partner_id) on delete cascade`);
    this.addSql('create index webhooks_partner on webhooks (handle, partner_id, created_at, webhook_id) where partner_id is not null');
    this.addSql('alter table deliveries add column url text');
  }
}
