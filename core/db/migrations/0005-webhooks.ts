import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook subscriptions, their deliveries (one row per event × subscription, the notifications
 * panel's source of truth and the scheduler's durable state) and every attempt of a delivery.
 */
export class Migration0005Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table webhooks (
      webhook_id uuid primary key,
      handle text not null references tenants(handle) on delete cascade,
      channel text not null default 'webhook',
      endpoint_url text not null,
      event_types text[] not null,
      secret_sealed text not null,
      previous_secret_sealed text,
      previous_secret_expires_at timestamptz,
      created_at timestamptz not null default now(),
      secret_rotated_at timestamptz
    )`);
    this.addSql('create index webhooks_handle on webhooks (handle, created_at, webhook_id)');
    // body is stored so every retry sends identical bytes; lease_until keeps two senders apart.
    this.addSql(`create table deliveries (
      delivery_id uuid primary key,
      webhook_id uuid not null references webhooks(webhook_id) on delete cascade,
      handle text not null,
      event_id uuid not null,
      event_type text not null,
      body text not null,
      status text not null default 'pending' check (status in ('pending', 'retrying', 'succeeded', 'failed')),
      cycle int not null default 0,
      attempts_in_cycle int not null default 0,
      attempt_count int not null default 0,
      next_attempt_at timestamptz,
      lease_until timestamptz,
      event_created_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      completed_at timestamptz,
      unique (webhook_id, event_id)
    )`);
    this.addSql('create index deliveries_handle_time on deliveries (handle, created_at desc, delivery_id desc)');
    this.addSql(`create index deliveries_open on deliveries (next_attempt_at) where status in ('pending', 'retrying')`);
    this.addSql(`create table delivery_attempts (
      delivery_id uuid not null references deliveries(delivery_id) on delete cascade,
      attempt int not null,
      attempted_at timestamptz not null,
      status_code int,
      latency_ms int not null,
      error text,
      response_snippet text,
      primary key (delivery_id, attempt)
    )`);
  }
}
