import { Migration } from '@mikro-orm/migrations';

/**
 * Conversion rollups are now upserted by the conversion's own statement (batched claims make the
 * hot campaign-hour row affordable). Folds whatever deltas an earlier version left unfolded (a
 * process stopped between commit and fold), then drops the delta table.
 */
export class Migration0009ConversionRollupsInline extends Migration {
  override async up(): Promise<void> {
    // Processes of the earlier version may still be writing and folding deltas: hold them off
    // until the drop commits, so nothing is folded twice or committed after the last fold.
    this.addSql('lock table conversion_rollup_deltas in access exclusive mode');
    this.addSql(`insert into conversion_rollups as r (handle, campaign_id, hour, country, segment, source, currency, conversions, verified_conversions, value)
      select handle, campaign_id, hour, country, segment, source, currency, count(*), count(*) filter (where verified), sum(value)
        from conversion_rollup_deltas
       group by 1, 2, 3, 4, 5, 6, 7
       order by 1, 2, 3, 4, 5, 6, 7
      on conflict (handle, campaign_id, hour, country, segment, source, currency) do update
         set conversions = r.conversions + excluded.conversions,
             verified_conversions = r.verified_conversions + excluded.verified_conversions,
             value = r.value + excluded.value`);
    this.addSql('drop table conversion_rollup_deltas');
  }
}
