// Finding a stored click by its id on the month-partitioned clicks table (migration 0020).

/** How far from its id's time a click's occurred_at may be and still be found by the pruned look-up. */
const SLACK = `interval '1 day'`;

/**
 * A LATERAL subquery yielding the stored click (every column, at most one row) whose id is
 * `clickId`, of handle `handle` and campaign `campaignId` (SQL expressions of the outer query).
 *
 * The primary key is (click_id, occurred_at), and each month is its own partition: a look-up by id
 * alone probes every partition's index. A UUIDv7 click id carries its click's time
 * (click_id_time(), core/redirect/click-id.ts), so the first branch only looks in the partition of
 * that time (pruned at run time, per outer row); the second one, which probes every partition,
 * runs only when the first found nothing: an id from elsewhere (not a v7, or not drawn with the
 * click's time) or a click not stored (yet). LIMIT 1 stops the Append after the first row.
 */
export function clickByIdLateral(clickId: string, handle: string, campaignId: string): string {
  // The id is matched inside an OFFSET 0 fence and the tenant outside it: the planner cannot push
  // handle = … into the probe, so it always walks the primary key to the one row, never the
  // (handle, occurred_at) index over every click of the handle in the window (which it chose on
  // partitions without statistics: 137 rows filtered per conversion on a fresh bench database,
  // and a day's clicks per conversion on a large tenant).
  const byId = (where: string) => `select * from (select k.* from clicks k where ${where} offset 0) k
       where k.handle = ${handle} and k.campaign_id = ${campaignId}`;
  return `(
    select * from (
      ${byId(`k.click_id = ${clickId} and k.occurred_at >= click_id_time(${clickId}) - ${SLACK} and k.occurred_at < click_id_time(${clickId}) + ${SLACK}`)}
      union all
      ${byId(`k.click_id = ${clickId}`)}
    ) found limit 1
  )`;
}
