import { Migration } from '@mikro-orm/migrations';

// Rollups that compress (core/analytics/rollup-sql.ts): the per-(hour × country × segment × source)
// rollups and the row triggers that fanned them out are gone. What stays, written by the flush and
// claim statements themselves: per campaign hourly clicks (click_rollups, formerly funnel_click_hours),
// daily sums (conversion_rollups is the daily table of conversions, formerly funnel_conversion_days:
// their edge hours are read raw) and all-time sums; per campaign and dimension daily sums (now also browser
// and os); per handle and dimension daily sums, and hourly ones for clicks. Clicks and conversions gain browser and os (from the user
// agent); rows recorded before this migration say 'unknown'.

const TRIGGERED = [
  ['click_rollups', ['funnel_click', 'analytics_dimension_days', 'funnel_click_totals']],
  ['conversion_rollups', ['funnel_conversion', 'analytics_dimension_conversion_days', 'funnel_conversion_totals']],
] as const;

export class Migration0019CompressedRollups extends Migration {
  override async up(): Promise<void> {
    // Writers of the earlier version still upsert the old tables: hold them off until this commits.
    this.addSql('lock table click_rollups, conversion_rollups in access exclusive mode');
    for (const [source, names] of TRIGGERED) {
      for (const name of names) {
        for (const op of ['insert', 'update', 'delete']) {
          this.addSql(`drop trigger if exists ${name}_on_${op} on ${source}`);
          this.addSql(`drop function if exists ${name}_on_${op}()`);
        }
      }
    }
    for (const table of ['clicks', 'conversions']) {
      this.addSql(`alter table ${table} add column browser text not null default 'unknown', add column os text not null default 'unknown'`);
    }

    // Browser and os of the rows rolled up so far are 'unknown'.
    const dims = (kind: 'clicks' | 'conversions') => {
      const extra = kind === 'conversions' ? ', currency' : '';
      const sums = kind === 'clicks' ? ['clicks', 'qualified_clicks'] : ['conversions', 'verified_conversions', 'value'];
      const daysTable = kind === 'clicks' ? 'analytics_dimension_days' : 'analytics_dimension_conversion_days';
      const funnelDays = kind === 'clicks' ? 'funnel_click_days' : 'funnel_conversion_days';
      for (const d of ['browser', 'os']) {
        this.addSql(`insert into ${daysTable} (handle, dimension, campaign_id, day, key${extra}, ${sums.join(', ')})
          select handle, '${d}', campaign_id, day, 'unknown'${extra}, ${sums.join(', ')} from ${funnelDays}`);
      }
    };
    dims('clicks');
    dims('conversions');

    // Per dimension for the whole handle: days (clicks and conversions) and hours (clicks), from what is now in place.
    this.addSql(`create table analytics_handle_dimension_days (
      handle text not null,
      dimension text not null,
      day date not null,
      key text not null,
      clicks bigint not null default 0,
      qualified_clicks bigint not null default 0,
      primary key (handle, dimension, day, key)
    )`);
    this.addSql(`create table analytics_handle_dimension_hours (
      handle text not null,
      dimension text not null,
      hour timestamptz not null,
      key text not null,
      clicks bigint not null default 0,
      qualified_clicks bigint not null default 0,
      primary key (handle, dimension, hour, key)
    )`);
    this.addSql(`create table analytics_handle_dimension_conversion_days (
      handle text not null,
      dimension text not null,
      day date not null,
      key text not null,
      currency char(3) not null,
      conversions bigint not null default 0,
      verified_conversions bigint not null default 0,
      value numeric(18, 2) not null default 0,
      primary key (handle, dimension, day, key, currency)
    )`);
    this.addSql(`insert into analytics_handle_dimension_days (handle, dimension, day, key, clicks, qualified_clicks)
      select handle, dimension, day, key, sum(clicks), sum(qualified_clicks) from analytics_dimension_days group by 1, 2, 3, 4`);
    this.addSql(`insert into analytics_handle_dimension_conversion_days (handle, dimension, day, key, currency, conversions, verified_conversions, value)
      select handle, dimension, day, key, currency, sum(conversions), sum(verified_conversions), sum(value)
        from analytics_dimension_conversion_days group by 1, 2, 3, 4, 5`);
    this.addSql(`insert into analytics_handle_dimension_hours (handle, dimension, hour, key, clicks, qualified_clicks)
      select r.handle, x.dimension, r.hour, x.key, sum(r.clicks), sum(r.qualified_clicks)
        from click_rollups r
        cross join lateral (values ('country', r.country::text), ('segment', r.segment), ('source', r.source),
                                   ('browser', 'unknown'), ('os', 'unknown')) as x(dimension, key)
       group by 1, 2, 3, 4`);

    // The narrow hourly tables take the rollups' names (reconcile and operators read them as "the rollups").
    this.addSql('drop table click_rollups');
    this.addSql('drop table conversion_rollups');
    this.addSql('alter table funnel_click_hours rename to click_rollups');
    // Conversions are few: their edge hours are read raw, and their per-campaign rollup is daily.
    this.addSql('drop table funnel_conversion_hours');
    this.addSql('alter table funnel_conversion_days rename to conversion_rollups');
  }
}
