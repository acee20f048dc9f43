import { Migration } from '@mikro-orm/migrations';

/**
 * The partners a campaign had before its partner now: one row per former holder and the time it held
 * the campaign, so that a handover changes only what comes after it (a former partner keeps its clicks
 * and conversions in analytics). The partner now and since when stay on the campaign (partner_since).
 * Campaigns handed over before this migration lost who had them: their earlier time is nobody's.
 */
export class Migration0023CampaignPartnerHistory extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table campaign_partner_history (
      id bigint generated always as identity primary key,
      handle text not null,
      campaign_id text not null,
      -- null: a holder from before this table, unknown
      partner_id text,
      -- null: since the campaign's creation
      since timestamptz,
      until timestamptz not null,
      foreign key (handle, campaign_id) references campaigns (handle, campaign_id) on delete cascade
    )`);
    this.addSql('create index campaign_partner_history_campaign on campaign_partner_history (handle, campaign_id, until)');
    this.addSql('create index campaign_partner_history_partner on campaign_partner_history (handle, partner_id) where partner_id is not null');
    // Whole milliseconds, as every handover from now on: the bounds go through JS dates.
    this.addSql(`update campaigns set partner_since = date_trunc('milliseconds', partner_since) where partner_since is not null`);
    this.addSql(`insert into campaign_partner_history (handle, campaign_id, partner_id, since, until)
      select handle, campaign_id, null, null, partner_since from campaigns where partner_since is not null`);
  }
}
