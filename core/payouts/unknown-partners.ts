import type { PoolClient } from 'pg';
import { unprocessable } from '../http/errors.ts';

/**
 * A run's partnerIds that name neither a partner of the handle (when this database has the partners table) nor any
 * commission of it: a typo, which made a run that paid nobody (201 with no payouts) and spent its idempotency key.
 * Throws 422 unknown_partner naming them, inside the run's transaction, so the key stays unused.
 */
export async function refuseUnknownPartners(client: PoolClient, handle: string, partnerIds: string[], partnersTable: boolean): Promise<void> {
  // The partners' primary key first; only ids it lacks (none, once partners exist) look in the ledger, which has no
  // index on (handle, partner_id) for all statuses: materialized, so an empty rest never scans it.
  const { rows } = await client.query<{ p: string }>(
    `with unlisted as materialized (
       select p from unnest($2::text[]) p
        ${partnersTable ? 'where not exists (select 1 from partners x where x.handle = $1 and x.partner_id = p)' : ''}
     )
     select p from unlisted u where not exists (select 1 from commissions c where c.handle = $1 and c.partner_id = u.p) order by p`,
    [handle, partnerIds],
  );
  if (!rows.length) return;
  const ids = rows.map((r) => `"${r.p}"`).join(', ');
  throw unprocessable('unknown_partner', `No partner of this handle has the id${rows.length > 1 ? 's' : ''} ${ids}; nothing was paid, and the idempotencyKey is still unused.`);
}
