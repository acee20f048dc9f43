import { Migration } from '@mikro-orm/migrations';
import { deltaTriggers } from './delta-triggers.ts';

// All-time funnel totals per campaign (and currency), kept in step with the hourly rollups by
// statement-level triggers: the default funnel (no window) reads one row per campaign.

export interface Source {
  rollups: string;
  table: string;
  keys: string[];
  sums: string[];
}

export const SOURCES: Source[] = [
  { rollups: 'click_rollups', table: 'funnel_click_totals', keys: ['handle', 'campaign_id'], sums: ['clicks', 'qualified_clicks'] },
  {
    rollups: 'conversion_rollups',
    table: 'funnel_conversion_totals',
    keys: ['handle', 'campaign_id', 'currency'],
    sums: ['conversions', 'verified_conversions', 'value'],
  },
];

export function upsert(s: Source, delta: string): string {
  const order = s.keys.map((_, i) => i + 1).join(', ');
  return `insert into ${s.table} as f (${s.keys.join(', ')}, ${s.sums.join(', ')})
    select ${s.keys.join(', ')}, ${s.sums.map((c) => `sum(${c})`).join(', ')} from (${delta}) d
     group by ${order} having ${s.sums.map((c) => `sum(${c}) <> 0`).join(' or ')} order by ${order}
    on conflict (${s.keys.join(', ')}) do update set ${s.sums.map((c) => `${c} = f.${c} + excluded.${c}`).join(', ')}`;
}

function triggers(s: Source): string[] {
  return deltaTriggers({ name: s.table, source: s.rollups, columns: s.keys, sums: s.sums, apply: (delta) => `${upsert(s, delta)};` });
}

export class Migration0007AnalyticsTotals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table funnel_click_totals (
      handle text not null,
      campaign_id text not null,
      clicks bigint not null default 0,
      qualified_clicks bigint not null default 0,
      primary key (handle, campaign_id)
    )`);
    this.addSql(`create table funnel_conversion_totals (
      handle text not null,
      campaign_id text not null,
      currency char(3) not null,
      conversions bigint not null default 0,
      verified_conversions bigint not null default 0,
      value numeric(18, 2) not null default 0,
      primary key (handle, campaign_id, currency)
    )`);
    for (const s of SOURCES) {
      this.addSql(upsert(s, `select ${[...s.keys, ...s.sums].join(', ')} from ${s.rollups}`)); // backfill
      for (const sql of triggers(s)) this.addSql(sql);
    }
  }
}
