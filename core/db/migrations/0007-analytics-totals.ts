import { Migration } from '@mikro-orm/migrations';

// All-time funnel totals per campaign (and currency), kept in step with the hourly rollups by
// statement-level triggers: the default funnel (no window) reads one row per campaign.

interface Source {
  rollups: string;
  table: string;
  keys: string[];
  sums: string[];
}

const SOURCES: Source[] = [
  { rollups: 'click_rollups', table: 'funnel_click_totals', keys: ['handle', 'campaign_id'], sums: ['clicks', 'qualified_clicks'] },
  {
    rollups: 'conversion_rollups',
    table: 'funnel_conversion_totals',
    keys: ['handle', 'campaign_id', 'currency'],
    sums: ['conversions', 'verified_conversions', 'value'],
  },
];

function upsert(s: Source, delta: string): string {
  const order = s.keys.map((_, i) => i + 1).join(', ');
  return `insert into ${s.table} as f (${s.keys.join(', ')}, ${s.sums.join(', ')})
    select ${s.keys.join(', ')}, ${s.sums.map((c) => `sum(${c})`).join(', ')} from (${delta}) d
     group by ${order} having ${s.sums.map((c) => `sum(${c}) <> 0`).join(' or ')} order by ${order}
    on conflict (${s.keys.join(', ')}) do update set ${s.sums.map((c) => `${c} = f.${c} + excluded.${c}`).join(', ')}`;
}

function triggers(s: Source): string[] {
  const plain = [...s.keys, ...s.sums].join(', ');
  const negated = [...s.keys, ...s.sums.map((c) => `-${c} as ${c}`)].join(', ');
  const ops = {
    insert: { delta: `select ${plain} from new_rows`, referencing: 'referencing new table as new_rows' },
    update: {
      delta: `select ${plain} from new_rows union all select ${negated} from old_rows`,
      referencing: 'referencing old table as old_rows new table as new_rows',
    },
    delete: { delta: `select ${negated} from old_rows`, referencing: 'referencing old table as old_rows' },
  };
  return Object.entries(ops).flatMap(([op, { delta, referencing }]) => {
    const fn = `${s.table}_on_${op}`;
    return [
      `create function ${fn}() returns trigger language plpgsql as $fn$
       begin
         ${upsert(s, delta)};
         return null;
       end $fn$`,
      `create trigger ${fn} after ${op} on ${s.rollups} ${referencing} for each statement execute function ${fn}()`,
    ];
  });
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
