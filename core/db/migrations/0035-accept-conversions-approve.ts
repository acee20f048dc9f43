import { Migration } from '@mikro-orm/migrations';

/**
 * Until 2026-12-05 a ctx-only conversion's commission never approved by itself, on any handle; API.md says so of
 * `flag` handles alone (`accept` is v2 behaviour). Commissions written before then on an `accept` handle would wait
 * for a person forever: their pending rows (the commission and its adjustments) approve once their hold passes, as
 * new ones do. A verified, unauthenticated conversion is exactly such a one (verified: its click was stored, was no
 * bot, and a ctx-only conversion counted on its handle). Not one the merchant's server posted again with another
 * body or its token (a `conversion.mismatch` naming `authenticated`): someone knew its key first, a person decides.
 */
export class Migration0035AcceptConversionsApprove extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update commissions c set auto_approve = true, updated_at = now()
                   from conversions v
                  where v.conversion_id = c.conversion_id and v.handle = c.handle
                    and c.type in ('conversion', 'adjustment') and c.status = 'pending' and not c.auto_approve
                    and v.verified and not v.authenticated
                    and not exists (select 1 from audit_events a
                                     where a.handle = v.handle and a.type = 'conversion.mismatch'
                                       and a.subject_id = v.conversion_id::text and a.payload->'changes' ? 'authenticated')`);
  }
}
