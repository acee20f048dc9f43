import { Migration } from '@mikro-orm/migrations';
import { deltaTriggers } from './delta-triggers.ts';

// Funnel totals per campaign by hour and by UTC day, kept in step with the dimensioned rollups by
// statement-level triggers, so a funnel reads campaigns × days rows however many clicks there are.

export interface Derived {
  source: string;
  prefix: string;
  keys: string[];
  sums: string[];
}

const CLICKS: Derived = {
  source: 'click_rollups',
  prefix: 'funnel_click',
  keys: ['handle', 'campaign_id'],
  sums: ['clicks', 'qualified_clicks'],
};
export const CONVERSIONS: Derived = {
  source: 'conversion_rollups',
  prefix: 'funnel_conversion',
  keys: ['handle', 'campaign_id', 'currency'],
  sums: ['conversions', 'verified_conversions', 'value'],
};

/** Adds a signed delta (new rows minus old rows) into the hour and then the day table, in key order. */
export function applyDelta(d: Derived, delta: string): string {
  const keys = d.keys.join(', ');
  const sums = d.sums.map((s) => `sum(${s})`).join(', ');
  const nonZero = d.sums.map((s) => `sum(${s}) <> 0`).join(' or ');
  const set = d.sums.map((s) => `${s} = f.${s} + excluded.${s}`).join(', ');
  const cols = d.sums.join(', ');
  const n = d.keys.length + 1;
  const order = Array.from({ length: n }, (_, i) => i + 1).join(', ');
  return `
    insert into ${d.prefix}_hours as f (${keys}, hour, ${cols})
    select ${keys}, hour, ${sums} from (${delta}) d
    group by ${order} having ${nonZero} order by ${order}
    on conflict (${keys}, hour) do update set ${set};
    insert into ${d.prefix}_days as f (${keys}, day, ${cols})
    select ${keys}, (hour at time zone 'UTC')::date, ${sums} from (${delta}) d
    group by ${order} having ${nonZero} order by ${order}
    on conflict (${keys}, day) do update set ${set};`;
}

function triggers(d: Derived): string[] {
  return deltaTriggers({ name: d.prefix, source: d.source, columns: [...d.keys, 'hour'], sums: d.sums, apply: (delta) => applyDelta(d, delta) });
}

function backfill(d: Derived): string[] {
  const keys = d.keys.join(', ');
  const sums = d.sums.map((s) => `sum(${s})`).join(', ');
  const cols = d.sums.join(', ');
  const order = Array.from({ length: d.keys.length + 1 }, (_, i) => i + 1).join(', ');
  return [
    `insert into ${d.prefix}_hours (${keys}, hour, ${cols}) select ${keys}, hour, ${sums} from ${d.source} group by ${order}`,
    `insert into ${d.prefix}_days (${keys}, day, ${cols})
       select ${keys}, (hour at time zone 'UTC')::date, ${sums} from ${d.source} group by ${order}`,
  ];
}

export class Migration0003AnalyticsFunnel extends Migration {
  override async up(): Promise<void> {
    for (const grain of [['hours', 'hour timestamptz'], ['days', 'day date']]) {
      const [suffix, column] = grain;
      const bucket = column.split(' ')[0];
      this.addSql(`create table funnel_click_${suffix} (
        handle text not null,
        campaign_id text not null,
        ${column} not null,
        clicks bigint not null default 0,
        qualified_clicks bigint not null default 0,
        primary key (handle, campaign_id, ${bucket})
      )`);
      this.addSql(`create table funnel_conversion_${suffix} (
        handle text not null,
        campaign_id text not null,
        currency char(3) not null,
        ${column} not null,
        conversions bigint not null default 0,
        verified_conversions bigint not null default 0,
        value numeric(18, 2) not null default 0,
        primary key (handle, campaign_id, ${bucket}, currency)
      )`);
    }
    // The live-stream poll reads the last hours of a handle without scanning its history.
    this.addSql('create index funnel_click_hours_recent on funnel_click_hours (handle, hour)');
    this.addSql('create index funnel_conversion_hours_recent on funnel_conversion_hours (handle, hour)');
    for (const d of [CLICKS, CONVERSIONS]) {
      for (const sql of backfill(d)) this.addSql(sql);
      for (const sql of triggers(d)) this.addSql(sql);
    }
  }
}
