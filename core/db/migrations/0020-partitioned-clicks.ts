import { Migration } from '@mikro-orm/migrations';

/** Months created ahead of the current one, here and by the daily job (core/redirect/click-partitions.ts). */
export const CLICK_MONTHS_AHEAD = 2;

/**
 * The time a UUIDv7 click id carries (its first 48 bits, Unix ms); null for any other version.
 * The redirector draws a click's id and its occurred_at from the same clock reading
 * (core/redirect/redirector.ts), so this is where to look for a click by its id (partition pruning).
 */
const CLICK_ID_TIME = `create or replace function click_id_time(id uuid) returns timestamptz
  language sql immutable strict parallel safe as $fn$
    select case when substr(id::text, 15, 1) = '7'
                then to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0) end
  $fn$`;

/**
 * The partition of the month holding `at` (UTC months, named clicks_pYYYYMM); false when it exists.
 * Rows of that month already in clicks_default (a click that came while no partition was there) move
 * into the new partition in the same transaction: the default partition is locked first, so no
 * click can land there meanwhile, and ATTACH finds it clean.
 */
const ENSURE_PARTITION = `create or replace function click_partition_ensure(at timestamptz) returns boolean
  language plpgsql as $fn$
  declare
    lo timestamptz := date_trunc('month', at, 'UTC');
    hi timestamptz := date_trunc('month', at, 'UTC') + interval '1 month';
    part text := 'clicks_p' || to_char(at at time zone 'UTC', 'YYYYMM');
  begin
    if to_regclass(quote_ident(part)) is not null then
      return false;
    end if;
    lock table clicks_default in access exclusive mode;
    execute format('create table %I (like clicks including defaults including constraints)', part);
    execute format('with moved as (delete from clicks_default where occurred_at >= $1 and occurred_at < $2 returning *)
                    insert into %I select * from moved', part) using lo, hi;
    execute format('alter table clicks attach partition %I for values from (%L) to (%L)', part, lo, hi);
    return true;
  end $fn$`;

/**
 * Every partition the clicks need: the months of rows waiting in clicks_default, and the current
 * month plus \`ahead\` months. One caller at a time (an advisory lock: several processes run the
 * daily job). Returns how many partitions it created.
 */
const MAINTAIN_PARTITIONS = `create or replace function click_partitions_maintain(ahead int) returns int
  language plpgsql as $fn$
  declare
    m timestamptz;
    created int := 0;
  begin
    perform pg_advisory_xact_lock(hashtextextended('tenx:click_partitions', 0));
    for m in
      select distinct date_trunc('month', occurred_at, 'UTC') from clicks_default
      union
      select date_trunc('month', now(), 'UTC') + make_interval(months => i) from generate_series(0, ahead) i
      order by 1
    loop
      if click_partition_ensure(m) then created := created + 1; end if;
    end loop;
    return created;
  end $fn$`;

/**
 * Clicks become partitioned by month on occurred_at (declarative range partitioning), so retention
 * (CLICK_RETENTION_DAYS) drops whole months instead of deleting rows.
 *
 * The live table is rebuilt, whatever columns earlier migrations gave it: renamed, a partitioned
 * copy of its columns created (LIKE), one partition per month its rows need plus the current month
 * and CLICK_MONTHS_AHEAD more, a default partition for a click of any other month (moved out by the
 * daily job), every row copied, its indexes rebuilt on the new table, the old one dropped. A
 * partitioned table's unique keys must hold the partition key, so the primary key becomes
 * (click_id, occurred_at): a click's occurred_at never changes, so `on conflict` still makes a
 * retried batch a no-op.
 */
export class Migration0020PartitionedClicks extends Migration {
  override async up(): Promise<void> {
    this.addSql(CLICK_ID_TIME);
    this.addSql(ENSURE_PARTITION);
    this.addSql(MAINTAIN_PARTITIONS);
    this.addSql(`do $do$
      declare
        defs text[];
        def text;
        idx text;
      begin
        -- Every index but the primary key, to rebuild on the new table (names freed by renaming the old ones).
        select coalesce(array_agg(indexdef order by indexname), '{}') into defs
          from pg_indexes where schemaname = current_schema() and tablename = 'clicks' and indexname <> 'clicks_pkey';
        alter table clicks rename to clicks_unpartitioned;
        for idx in select indexname from pg_indexes where schemaname = current_schema() and tablename = 'clicks_unpartitioned' loop
          execute format('alter index %I rename to %I', idx, left(idx, 45) || '_unpartitioned');
        end loop;
        create table clicks (like clicks_unpartitioned including all excluding indexes) partition by range (occurred_at);
        create table clicks_default partition of clicks default;
        -- The months the rows need, and the months ahead, before the rows arrive: none lands in the default partition.
        perform click_partition_ensure(m) from (select distinct date_trunc('month', occurred_at, 'UTC') as m from clicks_unpartitioned) x;
        perform click_partitions_maintain(${CLICK_MONTHS_AHEAD});
        insert into clicks select * from clicks_unpartitioned;
        drop table clicks_unpartitioned;
        -- Indexes built after the copy: one sort per partition, not one insert per row. (No ANALYZE here:
        -- the copied rows count as changes, so autovacuum analyzes each partition soon after.)
        alter table clicks add constraint clicks_pkey primary key (click_id, occurred_at);
        foreach def in array defs loop
          execute def;
        end loop;
      end $do$`);
    // Where the kept clicks start once retention has dropped a month (reconcile compares from there); no row: none dropped.
    this.addSql(`create table click_retention (
      singleton boolean primary key default true check (singleton),
      kept_from timestamptz not null
    )`);
  }
}
