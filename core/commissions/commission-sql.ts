// The SQL other modules' hot-path statements embed to write commissions in their own transaction
// (docs: ARCHITECTURE.md, "modules talk through SQL fragments"). The conversion statement joins
// conversionCommissionInsert, the click flusher clickCommissionUpsert: one round trip, one commit,
// the same idempotency as the row that earns the commission.

/** SQL expressions (column references or casts of parameters) that identify an event for rule resolution. */
export interface RuleKey {
  handle: string;
  campaignId: string;
  partnerId: string;
  event: string;
}

/**
 * A lateral subquery yielding the one reward rule that applies to an event, or no row: the most
 * specific of partner + campaign (3), campaign (2), partner (1), handle-wide (0). A unique index
 * allows one rule per scope and event, so there is never a tie.
 * Columns: reward_id, type, amount, percent, currency, hold_days.
 */
export function applicableRule(k: RuleKey): string {
  return `(
    select rr.reward_id, rr.type, rr.amount, rr.percent, rr.currency, rr.hold_days
      from reward_rules rr
     where rr.handle = ${k.handle} and rr.event = ${k.event}
       and (rr.campaign_id is null or rr.campaign_id = ${k.campaignId})
       and (rr.partner_id is null or rr.partner_id = ${k.partnerId})
     order by (rr.campaign_id is not null)::int * 2 + (rr.partner_id is not null)::int desc
     limit 1)`;
}

/**
 * What a rule pays for one conversion, in SQL: flat → its amount in its currency; percent → value ×
 * percent / 100 rounded half up (numeric round() rounds half away from zero: half up for the
 * non-negative values conversions carry) in the conversion's currency, null without a value.
 */
export const RULE_AMOUNT = (rule: string, value: string) =>
  `case ${rule}.type when 'flat' then ${rule}.amount else round(${value} * ${rule}.percent / 100, 2) end`;
export const RULE_CURRENCY = (rule: string, currency: string) =>
  `case ${rule}.type when 'flat' then ${rule}.currency else ${currency} end`;

/**
 * Inserts the conversion commission of each row of `source` (a CTE or table name) and returns the
 * rows inserted. `source` must have the columns: handle, campaign_id, partner_id (null: the campaign
 * has no partner, no commission), conversion_id, event_type, value, currency, created_at, is_bot
 * (the click was flagged), auto_approve (a conversion that counts, merchant-posted or ctx-only on an `accept`
 * handle, of a recorded click: only those approve automatically), partner_suspended, sub1…sub5.
 *
 * A bot click → `rejected`/`bot_click`; a suspended partner → `rejected`/`partner_suspended`; else
 * `pending` until `holdUntil` (created_at + the rule's hold days). No rule, a percent rule without a
 * value, or an amount that rounds to 0 → no row. The unique index on conversion_id makes a repeat a
 * no-op, so N concurrent identical submissions leave one commission.
 */
export function conversionCommissionInsert(source: string): string {
  return `
  insert into commissions (commission_id, handle, partner_id, campaign_id, conversion_id, reward_id, rule_type, rule_rate, type, event_type,
                           quantity, amount, currency, status, hold_until, reason, auto_approve,
                           sub1, sub2, sub3, sub4, sub5, created_at, updated_at)
  select gen_random_uuid(), s.handle, s.partner_id, s.campaign_id, s.conversion_id, r.reward_id, r.type, coalesce(r.amount, r.percent),
         'conversion', s.event_type,
         1, x.amount, x.currency,
         case when s.is_bot or s.partner_suspended then 'rejected' else 'pending' end,
         s.created_at + make_interval(days => r.hold_days),
         case when s.is_bot then 'bot_click' when s.partner_suspended then 'partner_suspended' end,
         s.auto_approve, s.sub1, s.sub2, s.sub3, s.sub4, s.sub5, s.created_at, s.created_at
    from ${source} s
    cross join lateral ${applicableRule({ handle: 's.handle', campaignId: 's.campaign_id', partnerId: 's.partner_id', event: 's.event_type' })} r
    cross join lateral (select ${RULE_AMOUNT('r', 's.value')} as amount, ${RULE_CURRENCY('r', 's.currency')} as currency) x
   where s.partner_id is not null and x.amount > 0 and x.currency is not null
   order by s.conversion_id
  on conflict (conversion_id) where type = 'conversion' do nothing
  returning *`;
}

/**
 * Takes automatic approval away from conversions' pending commission rows (the commission and its adjustments):
 * a person decides. `conversionIds` is an SQL expression for an array of conversion ids. Only the workflow flag and
 * updated_at change, never an amount: the ledger stays append-only. No index covers every row of a conversion, so a
 * non-empty array scans the pending rows; an empty one (a batch of repeats with no squatted key, the usual case)
 * stops at a one-time filter and reads nothing (a review: the scan ran for every repeat before).
 */
export function holdForReviewUpdate(conversionIds: string): string {
  return `update commissions set auto_approve = false, updated_at = now()
   where cardinality(${conversionIds}) > 0 and conversion_id = any(${conversionIds}) and status = 'pending' and auto_approve
  returning commission_id`;
}

/**
 * Accrues click commissions from the rows of `source` (only rows actually inserted, so a retried
 * batch never counts twice): one row per partner, campaign, UTC day and currency whose quantity and
 * amount grow with the day's qualified clicks. Returns the rows with `created` (true when this
 * statement inserted the day's row rather than grew it: the row to audit and announce). Bot-flagged clicks earn
 * nothing; a suspended partner's clicks accrue on the day's `rejected`/`partner_suspended` row (API.md: its new
 * commissions are created rejected), apart from its pending row; only flat `click` rules pay. The row is final once its day has ended (hold_until is the
 * day's end plus the hold days). A row rejected by hand while its day is open keeps growing, rejected (API.md: the
 * row grows with the day's qualified clicks; the unique day key leaves no other row to take them, and a row that
 * stopped would lose them): approved by hand after the day, it pays for all of them. Approved or paid rows never grow.
 * `source` columns: handle, campaign_id, partner_id, occurred_at, is_bot, partner_suspended.
 */
export function clickCommissionUpsert(source: string): string {
  return `
  insert into commissions as c (commission_id, handle, partner_id, campaign_id, reward_id, rule_type, rule_rate, type, event_type, quantity,
                                amount, currency, status, reason, suspended_clicks, hold_until, auto_approve, day, created_at, updated_at)
  select gen_random_uuid(), g.handle, g.partner_id, g.campaign_id, r.reward_id, 'flat', r.amount, 'click', 'click', g.clicks,
         r.amount * g.clicks, r.currency, case when g.suspended then 'rejected' else 'pending' end,
         case when g.suspended then 'partner_suspended' end, g.suspended,
         ((g.day + 1 + r.hold_days)::timestamp at time zone 'UTC'), not g.suspended, g.day, now(), now()
    from (select handle, campaign_id, partner_id, (occurred_at at time zone 'UTC')::date as day, partner_suspended as suspended, count(*) as clicks
            from ${source}
           where not is_bot and partner_id is not null
           group by 1, 2, 3, 4, 5) g
    cross join lateral ${applicableRule({ handle: 'g.handle', campaignId: 'g.campaign_id', partnerId: 'g.partner_id', event: `'click'` })} r
   where r.type = 'flat'
   order by g.handle, g.partner_id, g.campaign_id, g.day, r.currency, g.suspended
  -- The day's open row (migration 0030): once approved or paid, the day's later clicks start a new pending row.
  on conflict (handle, partner_id, campaign_id, day, currency, suspended_clicks) where type = 'click' and status in ('pending', 'rejected') do update
     set quantity = c.quantity + excluded.quantity, amount = c.amount + excluded.amount, updated_at = now(),
         -- A rule changed mid-day: the row mixes two rates, so it no longer names one.
         rule_rate = case when c.rule_rate = excluded.rule_rate then c.rule_rate end
   -- The day's row grows while it is open: pending, or rejected (by hand, or the suspended clicks' row).
   where c.status in ('pending', 'rejected')
  returning *, (xmax = 0) as created`;
}
