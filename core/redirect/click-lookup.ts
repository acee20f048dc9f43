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
  const match = `k.click_id = ${clickId} and k.handle = ${handle} and k.campaign_id = ${campaignId}`;
  return `(
    select * from (
      select k.* from clicks k
       where ${match}
         and k.occurred_at >= click_id_time(${clickId}) - ${SLACK} and k.occurred_at < click_id_time(${clickId}) + ${SLACK}
      union all
      select k.* from clicks k where ${match}
    ) found limit 1
  )`;
}
