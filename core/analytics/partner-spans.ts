// Who held a campaign when: the view campaign_partner_spans (migration 0025) of its former partners and
// its partner now since the handover. A campaign that never changed partner has no spans: it is wholly
// its partner's. Clicks and conversions count for whoever held the campaign when they happened.
import type { CampaignRef, Queryable } from './funnel.ts';
import type { CampaignSet, CampaignSpan } from './range.ts';

/** A span with its holder (null: nobody, or a holder from before the history was kept). */
export type HeldSpan = CampaignSpan & { partnerId: string | null };

const date = (v: string | Date | null | undefined) => (v ? new Date(v) : undefined);

/** The spans a scope query aggregated as JSON (`[{from, to}]`, null bounds unbounded). */
export const parseSpans = (json: Array<{ from: string | null; to: string | null }> | null, campaignId: string): CampaignSpan[] | undefined =>
  json?.map((s) => ({ campaignId, from: date(s.from), to: date(s.to) }));

/**
 * Every span of the handle's campaigns that changed partner (archived campaigns only if asked), for
 * breakdowns by partner.
 */
export async function handleSpans(pg: Queryable, handle: string, includeArchived: boolean): Promise<HeldSpan[]> {
  const { rows } = await pg.query({
    name: 'analytics-handle-spans',
    text: `select s.campaign_id, s.partner_id, s.since, s.until, c.status
             from campaign_partner_spans s join campaigns c on c.handle = s.handle and c.campaign_id = s.campaign_id
            where s.handle = $1
            order by 1, 3 nulls first`,
    values: [handle],
  });
  return rows
    .filter((r) => includeArchived || r.status !== 'ARCHIVED')
    .map((r) => ({ campaignId: r.campaign_id, partnerId: r.partner_id, from: date(r.since), to: date(r.until) }));
}

/**
 * A partner's campaigns as the query selects them: those it always had whole (checked again by the
 * query), those that changed partner over the times it held them.
 */
export function partnerCampaigns(partnerId: string, scope: CampaignRef[], includeArchived: boolean): CampaignSet {
  const spans = scope.flatMap((c) => (c.spans ?? []).map((s) => ({ ...s, current: Boolean(c.current) && !s.to })));
  return { partnerId, campaignIds: scope.map((c) => c.campaignId), includeArchived, spans };
}
