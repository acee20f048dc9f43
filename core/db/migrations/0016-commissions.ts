import { Migration } from '@mikro-orm/migrations';

/**
 * Reward rules, the append-only commission ledger and payouts (docs: API.md "Reward rules and
 * commissions", "Payouts"). Partners are referenced by (handle, partner_id) text, without a
 * foreign key: the partners table belongs to the partners module.
 */
export class Migration0016Commissions extends Migration {
  override async up(): Promise<void> {
    // scope_key folds the optional scope into one value so "one rule per scope and event" is a plain unique index.
    this.addSql(`create table reward_rules (
      handle text not null references tenants(handle) on delete cascade,
      reward_id text not null,
      campaign_id text,
      partner_id text,
      event text not null,
      type text not null check (type in ('flat', 'percent')),
      amount numeric(14, 2) check (amount > 0),
      percent numeric(5, 2) check (percent > 0 and percent <= 100),
      currency char(3),
      hold_days int not null default 30 check (hold_days between 0 and 365),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (handle, reward_id),
      check ((type = 'flat' and amount is not null and currency is not null and percent is null)
          or (type = 'percent' and percent is not null and amount is null and currency is null))
    )`);
    this.addSql(`create unique index reward_rules_scope on reward_rules
      (handle, event, coalesce(campaign_id, ''), coalesce(partner_id, ''))`);

    // Amounts never change once written (except the open day's click row); corrections are new rows.
    this.addSql(`create table commissions (
      commission_id uuid primary key,
      handle text not null,
      partner_id text not null,
      campaign_id text not null,
      conversion_id uuid,
      reward_id text,
      -- The rule's terms when the row was written: the rule may change or go, reconcile still proves the amount.
      rule_type text check (rule_type in ('flat', 'percent')),
      rule_rate numeric(14, 2),
      type text not null check (type in ('click', 'conversion', 'adjustment', 'clawback')),
      event_type text not null,
      quantity bigint not null default 1,
      amount numeric(14, 2) not null,
      currency char(3) not null,
      status text not null check (status in ('pending', 'approved', 'rejected', 'reversed', 'paid')),
      hold_until timestamptz not null,
      reason text,
      auto_approve boolean not null default true,
      payout_id uuid,
      day date,
      sub1 text, sub2 text, sub3 text, sub4 text, sub5 text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((type = 'click') = (day is not null))
    )`);
    // One conversion commission per conversion: N concurrent identical submissions give one row.
    this.addSql(`create unique index commissions_conversion on commissions (conversion_id) where type = 'conversion'`);
    // One accruing click row per partner, campaign, UTC day and currency.
    this.addSql(`create unique index commissions_click_day on commissions (handle, partner_id, campaign_id, day, currency) where type = 'click'`);
    this.addSql('create index commissions_handle_time on commissions (handle, created_at desc, commission_id desc)');
    this.addSql(`create index commissions_due on commissions (hold_until) where status = 'pending' and auto_approve`);
    this.addSql(`create index commissions_payable on commissions (handle, partner_id, currency) where status = 'approved' and payout_id is null`);
    this.addSql('create index commissions_payout on commissions (payout_id, commission_id) where payout_id is not null');

    // A run's idempotency key: the first run with a key inserts it; a repeat (even concurrent) waits and reads its payouts.
    this.addSql(`create table payout_runs (
      handle text not null references tenants(handle) on delete cascade,
      idempotency_key text not null,
      period_end timestamptz not null,
      partner_ids text[],
      actor text not null,
      created_at timestamptz not null default now(),
      primary key (handle, idempotency_key)
    )`);
    this.addSql(`create table payouts (
      payout_id uuid primary key,
      handle text not null,
      partner_id text not null,
      currency char(3) not null,
      amount numeric(14, 2) not null check (amount > 0),
      commission_count int not null,
      status text not null default 'pending' check (status in ('pending', 'paid', 'canceled')),
      period_end timestamptz not null,
      run_key text not null,
      reference text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      paid_at timestamptz,
      foreign key (handle, run_key) references payout_runs (handle, idempotency_key)
    )`);
    this.addSql('create index payouts_handle_time on payouts (handle, created_at desc, payout_id desc)');
    this.addSql('create index payouts_run on payouts (handle, run_key)');
  }
}
