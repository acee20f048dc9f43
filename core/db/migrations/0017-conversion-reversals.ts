import { Migration } from '@mikro-orm/migrations';

/**
 * Conversions read and reversed (API.md "Conversions, read and reversed"):
 * - conversions.partner_id: the campaign's partner when the conversion was recorded (a campaign handed
 *   to another partner later keeps its past conversions with the first one); nullable, no rewrite.
 * - conversions.reversed_value: what reversals took back so far; the row is locked while a reversal
 *   checks it, so concurrent reversals never take back more than the value.
 * - conversion_reversals: one row per reversalKey, the idempotency of a reversal.
 */
export class Migration0017ConversionReversals extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table conversions add column partner_id text');
    // A constant default: PostgreSQL adds it without rewriting the table.
    this.addSql('alter table conversions add column reversed_value numeric(14, 2) not null default 0');
    this.addSql('alter table conversions add column reversals int not null default 0');
    this.addSql('create index conversions_handle_time on conversions (handle, created_at desc, conversion_id desc)');
    // A reversal names the conversion by its idempotencyKey, which outlives the idempotency_keys retention.
    this.addSql('create index conversions_handle_key on conversions (handle, idempotency_key)');
    this.addSql(`create table conversion_reversals (
      reversal_id uuid primary key,
      handle text not null references tenants(handle) on delete cascade,
      reversal_key text not null,
      conversion_id uuid not null,
      campaign_id text not null,
      -- The conversion's partner: a partner's funnel counts the reversals of its own conversions only.
      partner_id text,
      amount numeric(14, 2) not null,
      currency char(3),
      reason text not null,
      note text,
      actor text not null,
      commissions jsonb not null default '[]',
      created_at timestamptz not null default now(),
      unique (handle, reversal_key)
    )`);
    this.addSql('create index conversion_reversals_campaign on conversion_reversals (handle, campaign_id, created_at)');
  }
}
