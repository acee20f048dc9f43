import { Migration } from '@mikro-orm/migrations';
import { applyDelta, CONVERSIONS as FUNNEL_CONVERSIONS } from './0003-analytics-funnel.ts';
import { SOURCES as TOTALS, upsert as upsertTotals } from './0007-analytics-totals.ts';
import { deltaTriggerFunctions } from './delta-triggers.ts';

const UNAUTHENTICATED = 'unauthenticated_conversions';

/** The funnel's trigger functions (hours/days and all-time totals), now also carrying `unauthenticated_conversions`. */
function funnelFunctions(): string[] {
  const hours = { ...FUNNEL_CONVERSIONS, sums: [...FUNNEL_CONVERSIONS.sums, UNAUTHENTICATED] };
  const totals = TOTALS.find((s) => s.rollups === 'conversion_rollups')!;
  const widened = { ...totals, sums: [...totals.sums, UNAUTHENTICATED] };
  return [
    ...deltaTriggerFunctions({ name: hours.prefix, source: hours.source, columns: [...hours.keys, 'hour'], sums: hours.sums, apply: (d) => applyDelta(hours, d) }),
    ...deltaTriggerFunctions({ name: widened.table, source: widened.rollups, columns: widened.keys, sums: widened.sums, apply: (d) => `${upsertTotals(widened, d)};` }),
  ].map(([, , sql]) => sql);
}

/**
 * Merchant-authenticated conversions (API.md v2.1 "Conversions: merchant authentication"):
 * - tenants.public_conversions: what a ctx-only submission gets. Handles that exist now keep v2's
 *   `accept`; handles created from now on default to `flag`.
 * - conversions.authenticated (a merchant token posted it) and conversions.verified (its click was
 *   found, not a bot, and the handle counts it): verified is decided once, when it is recorded, so
 *   raw rows and rollups always agree (reconciliation counts `verified`).
 * - campaigns.max_conversion_value: a value above it is refused.
 * - click_conversion_counts: conversions per (click, event type), the MAX_CONVERSIONS_PER_CLICK cap.
 * - unauthenticated_conversions in the conversion rollups and the funnel tables built from them.
 */
export class Migration0011MerchantConversions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table tenants add column public_conversions text not null default 'accept'
      check (public_conversions in ('accept', 'flag', 'refuse'))`);
    this.addSql(`alter table tenants alter column public_conversions set default 'flag'`);
    this.addSql('alter table campaigns add column max_conversion_value numeric(14, 2)');

    this.addSql('alter table conversions add column authenticated boolean not null default false');
    this.addSql('alter table conversions add column verified boolean not null default false');
    // What the rollups counted as verified until now: the click was not flagged as a bot.
    this.addSql('update conversions set verified = not click_is_bot');

    // `granted` is what the last statement to touch a row was given: RETURNING shows only new values before PostgreSQL 18.
    this.addSql(`create table click_conversion_counts (
      click_id uuid not null,
      event_type text not null,
      conversions int not null,
      granted int not null default 0,
      primary key (click_id, event_type)
    )`);
    this.addSql(`insert into click_conversion_counts (click_id, event_type, conversions)
      select click_id, event_type, count(*) from conversions group by 1, 2`);

    for (const table of ['conversion_rollups', 'funnel_conversion_hours', 'funnel_conversion_days', 'funnel_conversion_totals']) {
      this.addSql(`alter table ${table} add column ${UNAUTHENTICATED} bigint not null default 0`);
    }
    for (const sql of funnelFunctions()) this.addSql(sql);
    // Every conversion so far was posted with a ctx only; the replaced triggers carry this into the funnel tables.
    this.addSql(`update conversion_rollups set ${UNAUTHENTICATED} = conversions where conversions <> 0`);
  }
}
