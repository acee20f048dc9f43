// The postback half of the outbox fan-out: which partner an event belongs to, and the macro values
// of its postback URLs, read in the dispatcher's transaction (one statement per batch).
import type { PoolClient } from 'pg';
import { clickHeldBySql } from '../campaigns/index.ts';
import { expandTemplate, type MacroValues } from './postback-macros.ts';

export const POSTBACK_EVENTS = ['conversion.tested', 'commission.created', 'commission.updated'] as const;
const POSTBACK_EVENT_SET = new Set<string>(POSTBACK_EVENTS);

export interface PostbackEvent { event_id: string; handle: string; type: string; payload: Record<string, unknown>; created_at: Date }

/**
 * What an event is about, for its partner's postbacks: the partner it belongs to, the macro values, and
 * the event's payload as a POST postback sends it (without the click's id when the click was another's).
 */
export interface PostbackFacts { partnerId: string | null; values: MacroValues; payload: Record<string, unknown> }

// A payload id that is not a uuid (an event written by hand) must not fail the whole batch's cast.
const asUuid = (col: string) => `case when ${col} ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then ${col}::uuid end`;
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

interface FactRow {
  event_id: string; partner_id: string | null; click_id: string | null; click_hidden: boolean; value: string | null; conv_currency: string | null;
  country: string | null; amount: string | null; subs: Array<string | null> | null;
}

/**
 * Facts of the events a postback may want. A commission event names its partner; a conversion
 * event belongs to the partner its payload or its conversion row names (conversions.partner_id,
 * read through to_jsonb while this branch's schema has no such column), else its campaign's.
 * Money is numeric text from PostgreSQL, never through a JS number: the conversion's value from its row, a commission's
 * amount from its stored event (rounded to 2 places there, so 12.5 reads "12.50" as the row would).
 */
export async function postbackFacts(client: PoolClient, events: PostbackEvent[]): Promise<Map<string, PostbackFacts>> {
  const wanted = events.filter((e) => POSTBACK_EVENT_SET.has(e.type));
  if (wanted.length === 0) return new Map();
  const isCommission = (e: PostbackEvent) => e.type.startsWith('commission.');
  const col = (f: (e: PostbackEvent) => unknown) => wanted.map((e) => str(f(e)));
  const { rows } = await client.query<FactRow>(
    `select x.event_id, o.partner_id, case when not o.click_hidden then cv.click_id end as click_id, o.click_hidden, cv.value::text as value,
            cv.currency as conv_currency, cv.country,
            -- A commission event's own amount, as its POST body carries it: the open day's click row may have grown
            -- since (a GET postback read 0.15 where the signed body said 0.10). Read from the stored event, never
            -- through a JS number (amounts are unbounded); the row's only for an event without one.
            coalesce(case when jsonb_typeof(ob.payload -> 'amount') = 'number' then round((ob.payload ->> 'amount')::numeric, 2)::text end,
                     cm.amount::text) as amount,
            case when x.is_commission then null else array[cv.sub1, cv.sub2, cv.sub3, cv.sub4, cv.sub5] end as subs
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
              as x(event_id, handle, partner_id, campaign_id, conversion_id, commission_id, is_commission)
       left join outbox_events ob on x.is_commission and ob.event_id = x.event_id
       left join conversions cv on cv.conversion_id = ${asUuid('x.conversion_id')} and cv.handle = x.handle
       left join campaigns cp on not x.is_commission and cp.handle = x.handle and cp.campaign_id = x.campaign_id
       left join commissions cm on cm.commission_id = ${asUuid('x.commission_id')} and cm.handle = x.handle
       left join campaigns cc on cc.handle = cv.handle and cc.campaign_id = cv.campaign_id
       cross join lateral (select coalesce(x.partner_id, case when to_jsonb(cv) ? 'partner_id' then to_jsonb(cv) ->> 'partner_id' else cp.partner_id end) as partner_id) e
       -- A conversion credited to its partner after a handover, of a click made before: the click was another's.
       cross join lateral (select e.partner_id, cv.click_id is not null and not ${clickHeldBySql('cc', 'cv.click_id', 'e.partner_id')} as click_hidden) o`,
    [
      wanted.map((e) => e.event_id), wanted.map((e) => e.handle), col((e) => e.payload.partnerId),
      col((e) => e.payload.campaignId), col((e) => e.payload.conversionId), col((e) => (isCommission(e) ? e.payload.commissionId : null)),
      wanted.map(isCommission),
    ],
  );
  const byId = new Map(wanted.map((e) => [e.event_id, e]));
  const out = new Map<string, PostbackFacts>();
  for (const r of rows) {
    const e = byId.get(r.event_id)!;
    const p = e.payload;
    const subs = r.subs ?? [p.sub1, p.sub2, p.sub3, p.sub4, p.sub5].map(str);
    out.set(r.event_id, {
      partnerId: r.partner_id,
      payload: r.click_hidden && p.clickId !== undefined ? { ...p, clickId: null } : p,
      values: {
        click_id: r.click_hidden ? null : (r.click_id ?? str(p.clickId)), conversion_id: str(p.conversionId), campaign_id: str(p.campaignId), partner_id: r.partner_id,
        event_type: str(p.eventType),
        // A conversion event's status is the conversion's (just recorded); a commission event's, the commission's.
        status: isCommission(e) ? str(p.status) : 'recorded',
        amount: r.amount, value: r.value, currency: isCommission(e) ? str(p.currency) : (r.conv_currency ?? str(p.currency)),
        sub1: subs[0] ?? null, sub2: subs[1] ?? null, sub3: subs[2] ?? null, sub4: subs[3] ?? null, sub5: subs[4] ?? null,
        country: r.country, occurred_at: e.created_at.toISOString(),
      },
    });
  }
  return out;
}

/** The URL one postback calls for one event. */
export const postbackUrl = (template: string, facts: PostbackFacts) => expandTemplate(template, facts.values);
