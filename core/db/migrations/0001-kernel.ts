import { Migration } from '@mikro-orm/migrations';

/** Tenants, tokens and per-handle plugin settings. */
export class Migration0001Kernel extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table tenants (
      handle text primary key,
      name text not null,
      reporting_currency char(3) not null default 'USD',
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create table access_tokens (
      token_id uuid primary key,
      handle text not null references tenants(handle) on delete cascade,
      name text not null,
      scopes text[] not null,
      token_hash text not null unique,
      expires_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    )`);
    this.addSql('create index access_tokens_handle on access_tokens (handle, created_at)');
    this.addSql(`create table plugin_settings (
      handle text not null references tenants(handle) on delete cascade,
      plugin_name text not null,
      enabled boolean not null,
      settings jsonb not null default '{}',
      updated_at timestamptz not null default now(),
      primary key (handle, plugin_name)
    )`);
    this.addSql(`create table audit_events (
      event_id uuid primary key,
      handle text not null,
      type text not null,
      actor text not null,
      campaign_id text,
      subject_id text,
      payload jsonb not null default '{}',
      created_at timestamptz not null default now()
    )`);
    this.addSql('create index audit_events_handle_time on audit_events (handle, created_at desc, event_id desc)');
    // The transactional outbox: domain writes insert events here in their own transaction; the
    // notifications module fans them out to webhook deliveries.
    this.addSql(`create table outbox_events (
      event_id uuid primary key,
      handle text not null,
      type text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      dispatched_at timestamptz
    )`);
    this.addSql('create index outbox_events_pending on outbox_events (created_at) where dispatched_at is null');
  }
}
