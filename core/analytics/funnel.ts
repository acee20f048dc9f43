// Funnel rows per campaign from the per-campaign totals/day/hour tables (never from raw clicks).
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { botRatio, confidence, conversionRate, type ConfidenceReason } from './confidence.ts';
import { Params } from '../db/params.ts';
import { FUNNEL_CLICKS, FUNNEL_CONVERSIONS, windowSource, type CampaignSet, type Window } from './range.ts';

export interface CampaignRef {
  campaignId: string;
  status: string;
  lastClickAt: Date | null;
}

export interface FunnelMetrics {
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  verifiedConversions: number;
  unauthenticatedConversions: number;
  revenue: number;
  revenueByCurrency: Record<string, number>;
  conversionRate: number;
  botRatio: number;
  confidence: number;
  confidenceReasons: ConfidenceReason[];
  lastClickAt: string | null;
}

export type FunnelRow = { campaignId: string } & FunnelMetrics;

export interface Funnel {
  data: FunnelRow[];
  totals: FunnelMetrics;
}

/** A pool, or one client when several reads must share a snapshot (reconciliation). */
export type Queryable = Pool | PoolClient;

export const round2 = (x: number) => Math.round(x * 100) / 100;

interface Sums {
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  verifiedConversions: number;
  unauthenticatedConversions: number;
  byCurrency: Map<string, number>;
}

const emptySums = (): Sums => ({ clicks: 0, qualifiedClicks: 0, conversions: 0, verifiedConversions: 0, unauthenticatedConversions: 0, byCurrency: new Map() });

function addInto(target: Sums, s: Sums) {
  target.clicks += s.clicks;
  target.qualifiedClicks += s.qualifiedClicks;
  target.conversions += s.conversions;
  target.verifiedConversions += s.verifiedConversions;
  target.unauthenticatedConversions += s.unauthenticatedConversions;
  for (const [c, v] of s.byCurrency) target.byCurrency.set(c, (target.byCurrency.get(c) ?? 0) + v);
}

function metrics(s: Sums, status: string, lastClickAt: Date | null, reportingCurrency: string, now: Date): FunnelMetrics {
  const conf = confidence({ clicks: s.clicks, qualifiedClicks: s.qualifiedClicks, conversions: s.conversions, status, lastClickAt, now });
  const revenueByCurrency: Record<string, number> = {};
  for (const [c, v] of [...s.byCurrency].sort(([a], [b]) => a.localeCompare(b))) {
    revenueByCurrency[c] = round2(v);
  }
  return {
    clicks: s.clicks,
    qualifiedClicks: s.qualifiedClicks,
    conversions: s.conversions,
    verifiedConversions: s.verifiedConversions,
    unauthenticatedConversions: s.unauthenticatedConversions,
    revenue: round2(s.byCurrency.get(reportingCurrency) ?? 0),
    revenueByCurrency,
    conversionRate: conversionRate(s.conversions, s.qualifiedClicks),
    botRatio: botRatio(s.clicks, s.qualifiedClicks),
    confidence: conf.score,
    confidenceReasons: conf.reasons,
    lastClickAt: lastClickAt ? new Date(lastClickAt).toISOString() : null,
  };
}

/** A prepared-statement name per distinct SQL text: each pooled connection plans it once. The texts vary only in shape (a bounded set). */
export const statementName = (text: string) => `analytics-${createHash('sha1').update(text).digest('base64url').slice(0, 16)}`;

/** Sums per campaign over the window, clicks and conversions in one round trip. */
export async function sumFunnel(pg: Queryable, handle: string, campaigns: CampaignSet, window: Window): Promise<Map<string, Sums>> {
  const p = new Params();
  const text = `select campaign_id, null::text as currency, sum(clicks) as clicks, sum(qualified_clicks) as qualified,
           null::numeric as conversions, null::numeric as verified, null::numeric as unauthenticated, null::numeric as value
      from (${windowSource(FUNNEL_CLICKS, { handle, campaigns, window }, p)}) k group by campaign_id
    union all
    select campaign_id, currency, null, null, sum(conversions), sum(verified_conversions), sum(unauthenticated_conversions), sum(value)
      from (${windowSource(FUNNEL_CONVERSIONS, { handle, campaigns, window }, p)}) v group by campaign_id, currency`;
  const { rows } = await pg.query({ name: statementName(text), text, values: p.values });
  const out = new Map<string, Sums>();
  const of = (id: string) => out.get(id) ?? out.set(id, emptySums()).get(id)!;
  for (const r of rows) {
    const s = of(r.campaign_id);
    if (r.currency === null) {
      s.clicks = r.clicks;
      s.qualifiedClicks = r.qualified;
    } else {
      s.conversions += r.conversions;
      s.verifiedConversions += r.verified;
      s.unauthenticatedConversions += r.unauthenticated;
      s.byCurrency.set(r.currency, (s.byCurrency.get(r.currency) ?? 0) + r.value);
    }
  }
  return out;
}

/** One row per listed campaign (zero rows included), plus totals scored the same way. */
export function assembleFunnel(campaigns: CampaignRef[], sums: Map<string, Sums>, reportingCurrency: string, now = new Date()): Funnel {
  const total = emptySums();
  let lastClick: Date | null = null;
  const data = campaigns.map((c) => {
    const s = sums.get(c.campaignId) ?? emptySums();
    addInto(total, s);
    if (c.lastClickAt && (!lastClick || c.lastClickAt > lastClick)) lastClick = c.lastClickAt;
    return { campaignId: c.campaignId, ...metrics(s, c.status, c.lastClickAt, reportingCurrency, now) };
  });
  // Totals are "stale" only if some listed campaign is still ACTIVE and nothing was clicked for 7 days.
  const anyActive = campaigns.some((c) => c.status === 'ACTIVE');
  return { data, totals: metrics(total, anyActive ? 'ACTIVE' : 'INACTIVE', lastClick, reportingCurrency, now) };
}

export async function computeFunnel(pg: Queryable, handle: string, campaigns: CampaignRef[], window: Window, reportingCurrency: string): Promise<Funnel> {
  const sums = campaigns.length ? await sumFunnel(pg, handle, campaigns.map((c) => c.campaignId), window) : new Map<string, Sums>();
  return assembleFunnel(campaigns, sums, reportingCurrency);
}
