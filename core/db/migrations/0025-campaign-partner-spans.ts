import { Migration } from '@mikro-orm/migrations';

/**
 * Every span of a campaign that changed partner, as one relation: the former holders
 * (campaign_partner_history) and the partner now since its handover (campaigns.partner_since, `until`
 * null). A campaign that never changed partner has no rows: it is wholly its partner's. Analytics read
 * spans through this view only; PostgreSQL inlines it, so each reader's plan is what it was.
 */
export class Migration0025CampaignPartnerSpans extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create view campaign_partner_spans as
      select handle, campaign_id, partner_id, since, until from campaign_partner_history
      union all
      select handle, campaign_id, partner_id, partner_since, null::timestamptz from campaigns where partner_since is not null`);
  }
}
