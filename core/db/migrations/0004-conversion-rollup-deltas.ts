import { Migration } from '@mikro-orm/migrations';

/**
 * Rollup deltas of recorded conversions, written in the conversion's own transaction and folded
 * into conversion_rollups in batches: a per-conversion upsert would serialize every conversion of
 * a campaign-hour on one row lock held across the commit's fsync (measured ~2k/s ceiling), and
 * would fire the funnel triggers once per conversion.
 */
export class Migration0004ConversionRollupDeltas extends Migration {
  override async up(): Promise<void> {
    // No index: only the batch folder reads it, and it is drained within a fraction of a second.
    this.addSql(`create table conversion_rollup_deltas (
      handle text not null,
      campaign_id text not null,
      hour timestamptz not null,
      country char(2) not null,
      segment text not null,
      source text not null,
      currency char(3) not null,
      verified boolean not null,
      value numeric(14, 2) not null default 0
    )`);
  }
}
