import { Migration } from '@mikro-orm/migrations';

// The v2.1 scope list as it stood when this migration was written: a migration never follows later edits of SCOPES.
const V21_SCOPES = [
  'campaigns.read', 'campaigns.write', 'analytics.read', 'webhooks.read', 'webhooks.write',
  'notifications.read', 'tokens.write', 'plugins.read', 'plugins.write',
  'partners.read', 'partners.write', 'conversions.read', 'conversions.write',
  'commissions.read', 'commissions.write', 'payouts.read', 'payouts.write', 'audit.read',
];

const textArray = (items: string[]) => `array[${items.map((s) => `'${s}'`).join(', ')}]::text[]`;

/**
 * Contract v2.1 (issue 12 items 1 and 7): the owner token is a column, not a name a tenant may also
 * give another token; owner tokens get every v2.1 scope; audit.read leaves analytics.read, and the
 * tokens that read the audit log through analytics.read keep reading it. Other tokens keep exactly
 * the scopes they had.
 */
export class Migration0010TokenOwnerAndV21Scopes extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table access_tokens add column is_owner boolean not null default false');
    // Before v2.1 the owner token was the one createHandle named "owner": the oldest such token of each handle.
    this.addSql(`update access_tokens t set is_owner = true
      where t.token_id = (select o.token_id from access_tokens o
                           where o.handle = t.handle and o.name = 'owner' and o.expires_at is null
                           order by o.created_at, o.token_id limit 1)`);
    // Exactly one owner per handle: rotation replaces its secret in place, revocation is refused.
    this.addSql('create unique index access_tokens_one_owner on access_tokens (handle) where is_owner');
    this.addSql(`update access_tokens set scopes = ${textArray(V21_SCOPES)} where is_owner`);
    this.addSql(`update access_tokens set scopes = array_append(scopes, 'audit.read')
      where not is_owner and 'analytics.read' = any(scopes) and not 'audit.read' = any(scopes)`);
  }
}
