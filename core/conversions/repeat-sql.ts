// The statement of a repeated idempotency key: many repeats at once, one statement and one commit (RepeatBatcher).
import { auditInsertSql } from '../audit/index.ts';
import { outboxInsertSql } from '../outbox/index.ts';
import { holdForReviewUpdate } from '../commissions/index.ts';
import { unnested } from '../db/pg-array.ts';

/** The fields a repeat is compared on, as the original has them (`e`: a row of `event`). */
const ORIGINAL_FACTS = `jsonb_build_object('clickId', e.click_id, 'eventType', e.event_type, 'value', e.value, 'currency', e.currency,
                                 'metadata', e.metadata, 'authenticated', e.authenticated)`;

/**
 * Repeats of claimed keys: read each original conversion (a new statement, so it sees a row a concurrent first
 * submission committed while CLAIM_BATCH waited on it), and write its `conversion.deduped` or `conversion.mismatch`
 * audit event (with the differing fields) and its `conversion.deduped` outbox event. One statement for the batch:
 * one commit (one WAL flush) for all its repeats, where each was one before (the conversions bench's resent orders,
 * every submission a repeat: 1,589-2,187 → 2,554-3,348 repeats/s, PostgreSQL 368-516 → 195-251 µs a repeat).
 * A merchant-authenticated repeat of a ctx-only original is a mismatch even with the same body: someone posted the
 * merchant's key first, and that conversion's pending commission rows stop approving by themselves.
 *
 * Arrays, one element per repeat: $1 ord, $2 handle, $3 key, $4 the submission's body hash, $5 the other hash its body
 * may have (with no metadata, the hash of `{}`; else null), $6 its facts as jsonb (clickId, eventType, value,
 * currency, metadata, authenticated), $7 audit event id, $8 outbox event id, $9 audit actor, $10 merchant-authenticated,
 * $11 write the outbox event (a subscription of the handle wants `conversion.deduped`, as for CLAIM_BATCH's events),
 * $12 only an original of the submission's own click counts (another is not found: no row, no event).
 *
 * Returns one row per repeat whose original was found, with its `ord`.
 */
export const RECORD_REPEATS = `
with input as (
  ${unnested({
    ord: '$1::int[]', handle: '$2::text[]', key: '$3::text[]', hash: '$4::text[]', other_hash: '$5::text[]', submitted: '$6::jsonb[]',
    audit_id: '$7::uuid[]', outbox_id: '$8::uuid[]', actor: '$9::text[]', merchant: '$10::boolean[]', announce: '$11::boolean[]',
    own_click_only: '$12::boolean[]',
  })}
), original as (
  -- A LATERAL with LIMIT: one primary-key probe per repeat, as CLAIM_BATCH's look-up (as a plain join, the bench's
  -- repeat statements were on CPU in 23 % of the samples of pg_stat_activity, against 8 % so).
  select i.ord, i.handle, i.key, i.submitted, i.audit_id, i.outbox_id, i.actor, i.merchant, i.announce, c.*,
         c.body_hash <> all(array_remove(array[i.hash, i.other_hash], null)) or (i.merchant and not c.authenticated) as mismatch
    from input i
    cross join lateral (
      select c.conversion_id, c.click_id, c.campaign_id, c.event_type, c.value, c.currency, c.metadata, c.authenticated, c.created_at,
             c.sub1, c.sub2, c.sub3, c.sub4, c.sub5, c.body_hash
        from idempotency_keys k join conversions c on c.conversion_id = k.conversion_id
       where k.handle = i.handle and k.idempotency_key = i.key
         -- $12: only the original of this submission's own click (a refused ctx-only submission: see ConversionService.record).
         and (not i.own_click_only or c.click_id = (i.submitted->>'clickId')::uuid)
       limit 1) c
), event as (
  select o.*, jsonb_build_object('clickId', click_id, 'campaignId', campaign_id, 'conversionId', conversion_id,
                                 'value', value, 'currency', currency, 'eventType', event_type, 'authenticated', authenticated) as data
    from original o
), audit as (${auditInsertSql({
  eventId: 'audit_id', handle: 'handle', type: "case when mismatch then 'conversion.mismatch' else 'conversion.deduped' end", actor: 'actor',
  campaignId: 'campaign_id', subjectId: 'conversion_id::text',
  payload: `data || jsonb_build_object('idempotencyKey', key, 'deduped', true, 'mismatch', mismatch)
              || case when mismatch then jsonb_build_object('changes', (
                   select coalesce(jsonb_object_agg(f.key, jsonb_build_object('original', f.value, 'submitted', s.value)), '{}')
                     from jsonb_each(${ORIGINAL_FACTS}) f join jsonb_each(e.submitted) s on s.key = f.key
                    where f.value is distinct from s.value)) else '{}' end`,
  from: 'event e',
})}
), outbox as (${outboxInsertSql({
  eventId: 'outbox_id', handle: 'handle', type: "'conversion.deduped'", payload: "data || jsonb_build_object('mismatch', mismatch)", from: 'event',
  where: 'announce',
})}
), held as (
  -- The merchant's server posts a key a ctx alone recorded first (an 'accept' handle): whoever sent that one knew the
  -- merchant's next key and chose its value, so its commission no longer approves by itself; a person decides.
  ${holdForReviewUpdate('array(select conversion_id from original where merchant and not authenticated)')}
)
select ord, conversion_id, click_id, campaign_id, event_type, value, currency, authenticated, created_at,
       sub1, sub2, sub3, sub4, sub5, mismatch
  from original`;
