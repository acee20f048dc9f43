import type { PoolClient } from 'pg';

/**
 * The partner's minimum payout, as a SQL expression over a partner id expression and `$1` (the handle).
 * partners.minimum_payout belongs to the partners module; until that table exists in this database
 * the minimum is 0. Checked per run (one catalog lookup) so a database that gains the table is read at
 * once, with no restart and no code switch.
 */
export class PartnerMinimums {
  private known = false;

  /** Whether this database has partners.minimum_payout (and so the partners table). */
  async present(client: PoolClient): Promise<boolean> {
    if (!this.known) {
      const { rows } = await client.query(
        `select exists (select 1 from information_schema.columns
                         where table_schema = current_schema() and table_name = 'partners' and column_name = 'minimum_payout') as present`,
      );
      this.known = rows[0].present;
    }
    return this.known;
  }

  async expression(client: PoolClient, partnerId: string): Promise<string> {
    return (await this.present(client))
      ? `coalesce((select p.minimum_payout from partners p where p.handle = $1 and p.partner_id = ${partnerId}), 0)`
      : '0';
  }
}
