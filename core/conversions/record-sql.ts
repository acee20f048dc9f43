// The statements of the conversion hot path. Each is one round trip and one implicit transaction:
// round trips and commits (WAL flushes), not the inserts, bound PostgreSQL here (docs/architecture.md "Data access").
// Callers run them as named (prepared) statements (onGenericPlan, core/db/one-round-trip.ts): measured 1.1-1.9× over
// re-parsing these CTEs. Embedded PGlite too: its socket server (core/db/pglite-server.ts) gives each connection its own
// statement names in the one session.
import { auditInsertSql } from '../audit/index.ts';
import { outboxInsertSql } from '../outbox/index.ts';
import { conversionRollupCtes } from '../analytics/index.ts';
import { commissionCreatedAudit, commissionEventInsert, conversionCommissionInsert } from '../commissions/index.ts';
import { partnerAtSql } from '../campaigns/index.ts';
import { clickByIdLateral } from '../redirect/index.ts';
import { unnested } from '../db/pg-array.ts';

/**
 * First submissions, many at once (ClaimBatcher): lock the batch's campaigns (sorted advisory
 * locks, taken before any row is touched), take each new key's share of its click's conversion
 * budget, claim each key, copy its click's attribution and sub-IDs, insert the conversion, add it to its
 * rollup row, insert its audit and its outbox event, and write its commission (the reward rule that
 * applies, for the campaign's partner as of this statement) with its `commission.created` audit and outbox events. One statement, one transaction, one commit
 * (one WAL flush) for the whole batch. Key order alone cannot keep batches of two processes from
 * deadlocking (the rollups are several upserts of per-campaign rows, each its own lock pass): the
 * campaign locks do. Batching is what makes the hot campaign-hour row
 * affordable (one upsert per batch, not per conversion: measured 220-300/s per conversion,
 * ~2,800/s batched).
 *
 * Keys are claimed with ON CONFLICT, so under any concurrency across processes exactly one claim
 * inserts; a key older than the retention ($19 days) is re-claimed as new. Keys are claimed in
 * (handle, key) order so two batches never deadlock on each other's keys.
 *
 * The per-click cap ($20 conversions per click and event type) is an ON CONFLICT upsert too: this
 * statement's snapshot predates the campaign lock, so a count of conversions could miss a batch
 * that committed while this one waited, but the upsert always updates the latest committed count.
 * Only keys that look new (not held as of the snapshot) ask for budget; a key another process
 * claimed meanwhile is then answered as a repeat, and its slot stays spent (the cap may refuse one
 * conversion early, never admit one too many).
 *
 * The commission rides on the conversion row: it is inserted only for conversions this statement
 * created, and its unique index on conversion_id makes it once per conversion whatever else races, so
 * N concurrent identical submissions (any processes) leave one conversion and one commission. A bot
 * click → `rejected`/`bot_click`, a SUSPENDED partner → `rejected`/`partner_suspended`; only a conversion
 * that counts ($17) of a recorded click approves automatically: never a ctx-only one of a `flag` handle, nor
 * one whose click was never stored (commissions/commission-sql.ts).
 *
 * A conversion is verified when its click row was found (a ctx whose click is missing, e.g. a lost
 * buffer, proves no visit), the click is not a bot, and it counts ($17: posted by the merchant, or
 * the handle accepts ctx-only conversions).
 *
 * Returns one row per input `ord`: `click_found`, `allowed` (false: over the per-click cap; null:
 * the key looked taken or the claim waits for its click), and the conversion when this statement
 * created it (else nulls: the key was taken, the cap refused it, or `require_click` asked to wait
 * for a click still in a redirect process's buffer).
 *
 * Arrays, one element per submission: $1 ord, $2 handle, $3 key, $4 conversion id, $5 click id,
 * $6 campaign id, $7 event type, $8 value, $9 currency, $10 metadata, $11 body hash,
 * $12 rollup currency, $13 require the click row, $14 audit event id, $15 outbox event id,
 * $16 authenticated by a merchant token, $17 may count as verified, $18 audit actor (token id or `public`),
 * $21 write the `conversion.tested` outbox event, $22 write the `commission.created` outbox event (a subscription of the
 * handle wants it: outbox.wants(); nobody else reads the outbox, and the dispatcher would only select, mark and delete it).
 */
export const CLAIM_BATCH = `
with input as (
  ${unnested({
    ord: '$1::int[]', handle: '$2::text[]', key: '$3::text[]', conversion_id: '$4::uuid[]', click_id: '$5::uuid[]', campaign_id: '$6::text[]',
    event_type: '$7::text[]', value: '$8::numeric[]', currency: '$9::text[]', metadata: '$10::jsonb[]', body_hash: '$11::text[]',
    rollup_currency: '$12::text[]', require_click: '$13::boolean[]', audit_id: '$14::uuid[]', outbox_id: '$15::uuid[]',
    authenticated: '$16::boolean[]', countable: '$17::boolean[]', actor: '$18::text[]', announce: '$21::boolean[]', announce_commission: '$22::boolean[]',
  })}
), src as (
  select i.*, coalesce(c.country, 'ZZ') as country, coalesce(c.segment, 'other') as segment,
         -- The click's source channel and sub-IDs are its partner's (its utm_source, its labels): a conversion credited
         -- to another partner (the campaign was handed over between click and conversion) does not carry them to that
         -- partner's conversions, commissions, breakdowns or postbacks. Its source is then 'unknown'.
         case when h.same then coalesce(c.source, 'direct') else 'unknown' end as source,
         coalesce(c.browser, 'unknown') as browser, coalesce(c.os, 'unknown') as os,
         coalesce(c.is_bot, false) as is_bot, c.click_id is not null as click_found,
         case when h.same then c.sub1 end as sub1, case when h.same then c.sub2 end as sub2, case when h.same then c.sub3 end as sub3,
         case when h.same then c.sub4 end as sub4, case when h.same then c.sub5 end as sub5,
         c.click_id is not null and not c.is_bot and i.countable as verified,
         -- The campaign's partner now: a campaign handed over later keeps this conversion with this partner.
         cp.partner_id, coalesce(p.status = 'SUSPENDED', false) as partner_suspended
    from input i
    left join lateral ${clickByIdLateral('i.click_id', 'i.handle', 'i.campaign_id')} c on true
    left join campaigns cp on cp.handle = i.handle and cp.campaign_id = i.campaign_id
    left join partners p on p.handle = cp.handle and p.partner_id = cp.partner_id
    -- Kept unless another partner held the campaign at the click (a click of nobody's time, or a campaign with no
    -- partner now, shows its source and sub-IDs to no other partner).
    cross join lateral (select c.click_id is null or cp.partner_id is null or coalesce(${partnerAtSql('cp', 'c.occurred_at')} = cp.partner_id, true) as same) h
), campaign_locks as (
  -- One batch per campaign at a time across processes: the rollups are several upserts of the
  -- campaign's rows (hour, day, totals, dimensions), lock passes no key order alone keeps consistent.
  select count(pg_advisory_xact_lock(hashtextextended(handle || '/' || campaign_id, 0)))
    from (select distinct handle, campaign_id from input order by 1, 2) c
), wanted as (
  -- New-looking keys ready to record: only these spend the click's budget (a repeat never does).
  -- A LATERAL with LIMIT stays one primary-key probe per submission: as NOT EXISTS, the planner may
  -- hash every key of the retention window instead (it did on a fresh database: 5,125 keys per batch).
  select s.* from src s
    left join lateral (select k.created_at from idempotency_keys k
                        where k.handle = s.handle and k.idempotency_key = s.key limit 1) held on true
   where (s.click_found or not s.require_click)
     and (held.created_at is null or held.created_at < now() - make_interval(days => $19::int))
), budget as (
  -- Authenticated and ctx-only submissions each have a budget: a visitor's ctx can never spend the merchant's.
  insert into click_conversion_counts as n (click_id, event_type, authenticated, conversions, granted)
  select click_id, event_type, authenticated, least(count(*), $20::int), least(count(*), $20::int) from wanted
   where (select count(*) from campaign_locks) >= 0
   group by 1, 2, 3
   order by 1, 2, 3
  on conflict (click_id, event_type, authenticated) do update
     set granted = greatest(0, least(excluded.granted, $20::int - n.conversions)),
         conversions = n.conversions + greatest(0, least(excluded.granted, $20::int - n.conversions))
  returning click_id, event_type, authenticated, granted
), granted as (
  select w.ord, row_number() over (partition by w.click_id, w.event_type, w.authenticated order by w.handle, w.key) <= b.granted as allowed
    from wanted w join budget b using (click_id, event_type, authenticated)
), claimed as (
  insert into idempotency_keys (handle, idempotency_key, conversion_id)
  select s.handle, s.key, s.conversion_id from src s join granted g using (ord)
   where g.allowed
   order by s.handle, s.key
  on conflict (handle, idempotency_key) do update set conversion_id = excluded.conversion_id, created_at = now()
   where idempotency_keys.created_at < now() - make_interval(days => $19::int)
  returning conversion_id
), conv as (
  insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency,
                           metadata, body_hash, country, segment, source, click_is_bot, authenticated, verified,
                           sub1, sub2, sub3, sub4, sub5, partner_id, browser, os, created_at)
  select s.conversion_id, s.handle, s.key, s.click_id, s.campaign_id, s.event_type, s.value, s.currency,
         s.metadata, s.body_hash, s.country, s.segment, s.source, s.is_bot, s.authenticated, s.verified,
         s.sub1, s.sub2, s.sub3, s.sub4, s.sub5, s.partner_id, s.browser, s.os,
         -- A time after the handover locks in the batch's transaction, read once (an InitPlan): not now() (its begin),
         -- nor statement_timestamp(), which is the arrival of the batch's one message (claim-batcher.ts), before the locks.
         (select clock_timestamp())
    from claimed join src s using (conversion_id)
  returning conversion_id, click_id, campaign_id, event_type, value, currency, authenticated, created_at, sub1, sub2, sub3, sub4, sub5
), recorded as (
  select s.*, c.created_at,
         jsonb_build_object('clickId', s.click_id, 'campaignId', s.campaign_id, 'conversionId', s.conversion_id,
                            'value', c.value, 'currency', s.currency, 'eventType', s.event_type, 'authenticated', s.authenticated) as data
    from conv c join src s using (conversion_id)
), rollup_source as (
  select handle, campaign_id, created_at as at, rollup_currency as currency, country, segment, source, browser, os,
         verified, authenticated, value
    from recorded
), ${conversionRollupCtes('rollup_source')},
audit as (${auditInsertSql({
  eventId: 'audit_id', handle: 'handle', type: "'conversion.created'", actor: 'actor', campaignId: 'campaign_id', subjectId: 'conversion_id::text',
  payload: `data || jsonb_build_object('idempotencyKey', key, 'country', country, 'segment', segment, 'source', source,
                                    'clickIsBot', is_bot, 'clickFound', click_found, 'verified', verified)`,
  from: 'recorded',
})}
), outbox as (${outboxInsertSql({ eventId: 'outbox_id', handle: 'handle', type: "'conversion.tested'", payload: 'data', from: 'recorded', where: 'announce' })}
), commission_source as (
  -- Only a conversion that counts (posted by the merchant, or ctx-only on an 'accept' handle: API.md gives a 'flag' handle's
  -- ctx-only ones no automatic approval) of a recorded click approves by itself: one whose click was never stored
  -- (a HEAD's ctx, a lost click) had no bot check, so a person decides.
  select handle, campaign_id, partner_id, conversion_id, event_type, value, currency, created_at, is_bot, countable and click_found as auto_approve,
         partner_suspended, sub1, sub2, sub3, sub4, sub5
    from recorded
), commission as (${conversionCommissionInsert('commission_source')}
), commission_audit as (${commissionCreatedAudit('(select c.*, r.actor from commission c join recorded r using (conversion_id)) x', 'actor')}
), commission_events as (${commissionEventInsert('(select c.* from commission c join recorded r using (conversion_id) where r.announce_commission)', 'commission.created')}
)
select s.ord, s.click_found, g.allowed, c.conversion_id, c.click_id, c.campaign_id, c.event_type, c.value, c.currency,
       c.authenticated, c.created_at, c.sub1, c.sub2, c.sub3, c.sub4, c.sub5
  from src s left join granted g using (ord) left join conv c using (conversion_id)`;
