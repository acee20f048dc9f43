// Who held a campaign when. The campaign row names its partner now and since when (partner_since;
// null: since its creation); campaign_partner_history keeps each former holder and its time (partner
// null: nobody held it, or a holder from before the history was kept), written by the change that hands
// the campaign over, takes it away or gives it its first partner (service.ts). A click or conversion
// counts for whoever held its campaign when it happened.
import type { PreparedCall, PreparedStatement } from '../db/one-round-trip.ts';

/**
 * The partner that held campaign `c` (a campaigns row's alias) at `at`, as an SQL expression. The
 * history is read only for times before the handover, so a campaign that never changed partner costs
 * nothing more than its row.
 */
export const partnerAtSql = (c: string, at: string) =>
  `case when ${c}.partner_since is null or ${at} >= ${c}.partner_since then ${c}.partner_id
        else (select h.partner_id from campaign_partner_history h
               where h.handle = ${c}.handle and h.campaign_id = ${c}.campaign_id and ${at} < h.until order by h.until limit 1) end`;

/**
 * Whether the click `clickId` (a UUIDv7: it carries its time to the millisecond, the click's
 * occurred_at) was made while `partner` held campaign `c`, as an SQL condition; true for an id without
 * a time. A conversion credited to a later holder (the campaign was handed over in between) does not
 * show that holder the earlier one's click: its id would name it and tell when it happened.
 */
export const clickHeldBySql = (c: string, clickId: string, partner: string) =>
  `(click_id_time(${clickId}) is null or ${partner} is not distinct from (${partnerAtSql(c, `click_id_time(${clickId})`)}))`;

/** The lock class of handovers, and a campaign's bucket in it (SQL). */
export const HANDOVER_LOCKS = 7011001;
export const handoverBucket = (handle: string, campaignId: string) => `hashtext(${handle} || '/' || ${campaignId}) & 127`;

/**
 * The advisory lock of one campaign's handovers: the arguments of pg_advisory_xact_lock's two-key form. A handover holds it
 * exclusively from before it dates itself to its commit; a click batch holds it shared from before its
 * insert statement takes its snapshot. So a batch that could still miss a handover (it began first)
 * holds only clicks from before it, and every later batch waits and sees it: each click is credited
 * at the flush to the partner every later read names for its time. The arguments of the two-key form
 * (its own key space): one of 128 buckets, so a batch of many campaigns holds at most 128 locks (one
 * lock per campaign ran out of PostgreSQL's lock table at ~20,000 campaigns in a batch).
 */
/**
 * Shared handover locks on a batch's campaigns, in bucket order (so two batches never wait on each other in a
 * cycle): $1 handles, $2 campaign ids (text arrays). A click batch and a conversion claim batch each run it in
 * their transaction before the statement whose snapshot must not miss a handover.
 */
export const HANDOVER_LOCKS_SHARED_SQL = `select count(pg_advisory_xact_lock_shared(${HANDOVER_LOCKS}, b))
  from (select distinct ${handoverBucket('h', 'c')} as b from unnest($1::text[], $2::text[]) u(h, c) order by 1) d`;

/**
 * HANDOVER_LOCKS_SHARED_SQL prepared once per connection, with its two array literals (`{…}` text, as core/db/pg-array.ts
 * builds them): the prelude of a batch sent as one message (core/db/one-round-trip.ts). Inlined as literals instead, it was
 * parsed and planned in every batch: 4,590 plans in 4,590 conversion claim batches of a bench run (pg_stat_statements),
 * 64 µs of planning against 27 of execution each.
 */
const HANDOVER_LOCKS_SHARED: PreparedStatement = { name: 'tenx_handover_locks_shared', text: HANDOVER_LOCKS_SHARED_SQL };
export const handoverLocksShared = (handles: string, campaignIds: string): PreparedCall => ({ statement: HANDOVER_LOCKS_SHARED, values: [handles, campaignIds] });

export const handoverLockArgs = (handle: string, campaignId: string) => `${HANDOVER_LOCKS}, ${handoverBucket(handle, campaignId)}`;
