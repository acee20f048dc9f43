import { Migration } from '@mikro-orm/migrations';

/**
 * Campaigns, raw clicks and conversions, and the hourly rollups analytics reads.
 * Rollup rows are keyed by the analytics dimensions so every groupBy is a sum over them.
 */
export class Migration0002Tracking extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table campaigns (
      handle text not null references tenants(handle) on delete cascade,
      campaign_id text not null,
      goal_type text not null,
      status text not null,
      tracking_preset text not null,
      conversion_event text not null,
      slug text not null,
      destination_url text not null,
      link_title text,
      routing_rules jsonb not null default '[]',
      attribution_window_days int not null default 30,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (handle, campaign_id),
      unique (handle, slug)
    )`);
    this.addSql(`create table clicks (
      click_id uuid primary key,
      handle text not null,
      campaign_id text not null,
      occurred_at timestamptz not null,
      country char(2) not null,
      segment text not null,
      device text not null,
      source text not null,
      referrer_host text,
      language text,
      destination_url text not null,
      user_agent text not null default '',
      ip_hash text,
      is_bot boolean not null default false,
      bot_reason text
    )`);
    this.addSql('create index clicks_handle_campaign_time on clicks (handle, campaign_id, occurred_at)');
    this.addSql('create index clicks_handle_time on clicks (handle, occurred_at)');
    // One row per (campaign, hour, country, segment, source): clicks and the non-bot share of them.
    this.addSql(`create table click_rollups (
      handle text not null,
      campaign_id text not null,
      hour timestamptz not null,
      country char(2) not null,
      segment text not null,
      source text not null,
      clicks bigint not null default 0,
      qualified_clicks bigint not null default 0,
      primary key (handle, campaign_id, hour, country, segment, source)
    )`);
    this.addSql(`create table campaign_stats (
      handle text not null,
      campaign_id text not null,
      last_click_at timestamptz,
      primary key (handle, campaign_id)
    )`);
    this.addSql(`create table conversions (
      conversion_id uuid primary key,
      handle text not null,
      idempotency_key text not null,
      click_id uuid not null,
      campaign_id text not null,
      event_type text not null,
      value numeric(14, 2),
      currency char(3),
      metadata jsonb,
      body_hash text not null,
      country char(2) not null default 'ZZ',
      segment text not null default 'other',
      source text not null default 'direct',
      click_is_bot boolean not null default false,
      created_at timestamptz not null default now()
    )`);
    this.addSql('create index conversions_handle_campaign_time on conversions (handle, campaign_id, created_at)');
    this.addSql('create index conversions_click on conversions (click_id)');
    // Idempotency keys live apart from conversions so the retention purge never touches a conversion.
    this.addSql(`create table idempotency_keys (
      handle text not null,
      idempotency_key text not null,
      conversion_id uuid not null,
      created_at timestamptz not null default now(),
      primary key (handle, idempotency_key)
    )`);
    this.addSql('create index idempotency_keys_created on idempotency_keys (created_at)');
    // Conversions by the hour they were recorded, with the click's dimensions and the currency.
    this.addSql(`create table conversion_rollups (
      handle text not null,
      campaign_id text not null,
      hour timestamptz not null,
      country char(2) not null,
      segment text not null,
      source text not null,
      currency char(3) not null,
      conversions bigint not null default 0,
      verified_conversions bigint not null default 0,
      value numeric(18, 2) not null default 0,
      primary key (handle, campaign_id, hour, country, segment, source, currency)
    )`);
  }
}
