import { Migration } from '@mikro-orm/migrations';
import { deltaTriggers } from './delta-triggers.ts';

// Per-day breakdowns by country, segment and source, kept in step with the hourly rollups by
// statement-level triggers: groupBy over whole days reads campaigns × days × values rows instead of
// every (hour × country × segment × source) rollup row.

interface Source {
  rollups: string;
  table: string;
  /** Key columns besides handle, campaign and the dimension (conversions: the currency). */
  extraKeys: string[];
  sums: string[];
}

const CLICKS: Source = { rollups: 'click_rollups', table: 'analytics_dimension_days', extraKeys: [], sums: ['clicks', 'qualified_clicks'] };
const CONVERSIONS: Source = {
  rollups: 'conversion_rollups',
  table: 'analytics_dimension_conversion_days',
  extraKeys: ['currency'],
  sums: ['conversions', 'verified_conversions', 'value'],
};

/** The upsert of a signed delta (rows with the rollup's columns), fanned out to the three dimensions. */
function upsert(s: Source, delta: string): string {
  const keys = ['handle', 'campaign_id', 'day', 'dimension', 'key', ...s.extraKeys];
  const order = keys.map((_, i) => i + 1).join(', ');
  const extra = s.extraKeys.map((k) => `, d.${k}`).join('');
  return `insert into ${s.table} as f (${keys.join(', ')}, ${s.sums.join(', ')})
    select d.handle, d.campaign_id, (d.hour at time zone 'UTC')::date, x.dimension, x.key${extra}, ${s.sums.map((c) => `sum(d.${c})`).join(', ')}
      from (${delta}) d
      cross join lateral (values ('country', d.country::text), ('segment', d.segment), ('source', d.source)) as x(dimension, key)
     group by ${order} having ${s.sums.map((c) => `sum(d.${c}) <> 0`).join(' or ')} order by ${order}
    on conflict (handle, dimension, campaign_id, day, key${s.extraKeys.map((k) => `, ${k}`).join('')})
    do update set ${s.sums.map((c) => `${c} = f.${c} + excluded.${c}`).join(', ')}`;
}

function triggers(s: Source): string[] {
  const columns = ['handle', 'campaign_id', 'hour', 'country', 'segment', 'source', ...s.extraKeys];
  return deltaTriggers({ name: s.table, source: s.rollups, columns, sums: s.sums, apply: (delta) => `${upsert(s, delta)};` });
}

export class Migration0006AnalyticsDimensions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table analytics_dimension_days (
      handle text not null,
      campaign_id text not null,
      day date not null,
      dimension text not null,
      key text not null,
      clicks bigint not null default 0,
      qualified_clicks bigint not null default 0,
      primary key (handle, dimension, campaign_id, day, key)
    )`);
    this.addSql(`create table analytics_dimension_conversion_days (
      handle text not null,
      campaign_id text not null,
      day date not null,
      dimension text not null,
      key text not null,
      currency char(3) not null,
      conversions bigint not null default 0,
      verified_conversions bigint not null default 0,
      value numeric(18, 2) not null default 0,
      primary key (handle, dimension, campaign_id, day, key, currency)
    )`);
    for (const s of [CLICKS, CONVERSIONS]) {
      const cols = ['handle', 'campaign_id', 'hour', 'country', 'segment', 'source', ...s.extraKeys, ...s.sums].join(', ');
      this.addSql(upsert(s, `select ${cols} from ${s.rollups}`)); // backfill what is already rolled up
      for (const sql of triggers(s)) this.addSql(sql);
    }
  }
}
