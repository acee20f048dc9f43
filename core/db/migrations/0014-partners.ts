import { Migration } from '@mikro-orm/migrations';

/**
 * Partners of a handle, their own tokens (`tenx_ptk_`), and the partner a campaign belongs to.
 * The campaign's foreign key makes an unknown partner a 23503 the campaigns service turns into 422.
 */
export class Migration0014Partners extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table partners (
      handle text not null references tenants(handle) on delete cascade,
      partner_id text not null,
      name text not null,
      email text,
      status text not null default 'ACTIVE',
      minimum_payout numeric(14, 2) not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (handle, partner_id)
    )`);
    this.addSql(`create table partner_tokens (
      token_id uuid primary key,
      handle text not null,
      partner_id text not null,
      name text not null,
      scopes text[] not null,
      token_hash text not null unique,
      expires_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      foreign key (handle, partner_id) references partners (handle, partner_id) on delete cascade
    )`);
    this.addSql('create index partner_tokens_partner on partner_tokens (handle, partner_id, token_id)');
    this.addSql('alter table campaigns add column partner_id text');
    // When the campaign was last taken from a partner (null: never): its partner now counts clicks from then on.
    this.addSql('alter table campaigns add column partner_since timestamptz');
    this.addSql(`alter table campaigns add constraint campaigns_partner_fkey
      foreign key (handle, partner_id) references partners (handle, partner_id)`);
    // The partner realm and the partnerId filter select a partner's campaigns by this.
    this.addSql('create index campaigns_partner on campaigns (handle, partner_id, campaign_id) where partner_id is not null');
  }
}
