// Funnel rows per campaign from the per-campaign totals/day/hour tables (never from raw clicks).
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { botRatio, confidence, conversionRate, type ConfidenceReason } from './confidence.ts';
import { centsOf, moneyOf } from '../commissions/index.ts';
import type { Numeric } from '../db/numeric.ts';
import { Params } from '../db/params.ts';
import { campaignFilter, FUNNEL_CLICKS, FUNNEL_CONVERSIONS, windowSource, type CampaignSet, type CampaignSpan, type PartnerCampaigns, type Window } from './range.ts';

export interface CampaignRef {
  campaignId: string;
  /** The campaign's partner now (null: none); in a partner's view, that partner. */
  partnerId: string | null;
  /**
   * In a partner's view of a campaign that changed partner: the times the partner held it (its
   * numbers are those times' alone). Absent: the whole campaign.
   */
  spans?: CampaignSpan[];
  /** In a partner's view: the partner holds it now (not only in the past). */
  current?: boolean;
  status: string;
  lastClickAt: Date | null;
}

export interface FunnelMetrics {
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  verifiedConversions: number;
  unauthenticatedConversions: number;
  /** Money: exact (a raw JSON number past a double's digits, db/numeric.ts). */
  revenue: Numeric;
  revenueByCurrency: Record<string, Numeric>;
  /** Reversals (refunds, chargebacks) recorded in the window, and revenue minus their value (reporting currency). */
  reversals: number;
  netRevenue: Numeric;
  /** revenueByCurrency minus what was reversed, every currency: a refund in another currency shows too. */
  netRevenueByCurrency: Record<string, Numeric>;
  conversionRate: number;
  botRatio: number;
  confidence: number;
  confidenceReasons: ConfidenceReason[];
  lastClickAt: string | null;
}

/** A partner's rows (partner realm, partnerId filter) also carry its commissions by currency. */
export type FunnelRow = { campaignId: string; partnerId: string | null; commission?: Record<string, Numeric> } & FunnelMetrics;

export interface Funnel {
  data: FunnelRow[];
  totals: FunnelMetrics & { commission?: Record<string, Numeric> };
}

/** The funnel without partners' commissions: for a handle token that may not read commissions (commissions.read). */
export function withoutCommission<T extends Partial<Funnel>>(funnel: T): T {
  const strip = <R extends { commission?: unknown }>({ commission: _, ...rest }: R) => rest;
  return { ...funnel, ...(funnel.data && { data: funnel.data.map(strip) }), ...(funnel.totals && { totals: strip(funnel.totals) }) };
}

/** A pool, or one client when several reads must share a snapshot (reconciliation). */
export type Queryable = Pool | PoolClient;

/**
 * Runs queries side by side on a pool; on one client (reconcile's transaction) one after another: pg queues
 * a client's overlapping queries today, and warns that pg 9 will refuse them.
 */
export async function queryAll<R extends QueryResultRow = any>(pg: Queryable, queries: QueryConfig[]): Promise<QueryResult<R>[]> {
  if (!('release' in pg)) return Promise.all(queries.map((q) => pg.query<R>(q)));
  const results: QueryResult<R>[] = [];
  for (const q of queries) results.push(await pg.query<R>(q));
  return results;
}

/** Money by currency, in whole cents: sums of any size add up exactly. */
type Cents = Map<string, bigint>;

interface Sums {
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  verifiedConversions: number;
  unauthenticatedConversions: number;
  byCurrency: Cents;
  reversals: number;
  reversedByCurrency: Cents;
  commissionByCurrency: Cents;
}

const emptySums = (): Sums => ({
  clicks: 0, qualifiedClicks: 0, conversions: 0, verifiedConversions: 0, unauthenticatedConversions: 0, byCurrency: new Map(),
  reversals: 0, reversedByCurrency: new Map(), commissionByCurrency: new Map(),
});

/** Adds a (currency, numeric sum) row's money into `m` (a sum over no value, null, adds 0). */
const addCents = (m: Cents, currency: string, value: Numeric | null) => m.set(currency, (m.get(currency) ?? 0n) + (value === null ? 0n : centsOf(value)));

function addInto(target: Sums, s: Sums) {
  target.clicks += s.clicks;
  target.qualifiedClicks += s.qualifiedClicks;
  target.conversions += s.conversions;
  target.verifiedConversions += s.verifiedConversions;
  target.unauthenticatedConversions += s.unauthenticatedConversions;
  for (const [c, v] of s.byCurrency) target.byCurrency.set(c, (target.byCurrency.get(c) ?? 0n) + v);
  target.reversals += s.reversals;
  for (const [c, v] of s.reversedByCurrency) target.reversedByCurrency.set(c, (target.reversedByCurrency.get(c) ?? 0n) + v);
  for (const [c, v] of s.commissionByCurrency) target.commissionByCurrency.set(c, (target.commissionByCurrency.get(c) ?? 0n) + v);
}

const byCurrency = (m: Cents): Record<string, Numeric> =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([c, v]) => [c, moneyOf(v)]));

/** Revenue minus the value reversed, per currency of either (reversals in the window of older conversions: negative). */
function netByCurrency(revenue: Cents, reversed: Cents): Record<string, Numeric> {
  const net: Cents = new Map(revenue);
  for (const [c, v] of reversed) net.set(c, (net.get(c) ?? 0n) - v);
  return byCurrency(net);
}

/** The sum of two amounts of money, in whole cents: exact, whatever their size (a float sum would pick up a tail, or lose a cent). */
export const addMoney = (a: Numeric, b: Numeric) => moneyOf(centsOf(a) + centsOf(b));

function metrics(s: Sums, status: string, lastClickAt: Date | null, reportingCurrency: string, now: Date): FunnelMetrics {
  const conf = confidence({ clicks: s.clicks, qualifiedClicks: s.qualifiedClicks, conversions: s.conversions, status, lastClickAt, now });
  const revenue = s.byCurrency.get(reportingCurrency) ?? 0n;
  return {
    clicks: s.clicks,
    qualifiedClicks: s.qualifiedClicks,
    conversions: s.conversions,
    verifiedConversions: s.verifiedConversions,
    unauthenticatedConversions: s.unauthenticatedConversions,
    revenue: moneyOf(revenue),
    revenueByCurrency: byCurrency(s.byCurrency),
    reversals: s.reversals,
    netRevenue: moneyOf(revenue - (s.reversedByCurrency.get(reportingCurrency) ?? 0n)),
    netRevenueByCurrency: netByCurrency(s.byCurrency, s.reversedByCurrency),
    conversionRate: conversionRate(s.conversions, s.qualifiedClicks),
    botRatio: botRatio(s.clicks, s.qualifiedClicks),
    confidence: conf.score,
    confidenceReasons: conf.reasons,
    lastClickAt: lastClickAt ? new Date(lastClickAt).toISOString() : null,
  };
}

/** A prepared-statement name per distinct SQL text: each pooled connection plans it once. The texts vary only in shape (a bounded set). */
export const statementName = (text: string) => `analytics-${createHash('sha1').update(text).digest('base64url').slice(0, 16)}`;

/**
 * Reversals recorded in the window, from their own table (rare rows, indexed by handle, campaign and
 * time: cheap). A partner's set counts the reversals of its own conversions only.
 */
function reversalSource(handle: string, campaigns: CampaignSet, window: Window, p: Params): string {
  const h = p.add(handle);
  const bind = (v: unknown) => p.add(v);
  const set = !Array.isArray(campaigns) && 'partnerId' in campaigns
    ? `partner_id = ${bind(campaigns.partnerId)}${campaigns.campaignIds ? ` and campaign_id = any(${bind(campaigns.campaignIds)}::text[])` : ''}`
    : campaignFilter(campaigns, h, bind);
  return `select campaign_id, currency, amount from conversion_reversals where handle = ${h} and ${set}` +
    (window.from ? ` and created_at >= ${bind(window.from)}` : '') + (window.to ? ` and created_at < ${bind(window.to)}` : '');
}

/**
 * A partner's commissions created in the window (what it earns: pending, approved or paid, adjustments
 * and clawbacks netted in), from the ledger by its partner index.
 */
function commissionSource(handle: string, set: { partnerId: string; campaignIds?: string[] }, window: Window, p: Params): string {
  return `select campaign_id, currency, amount from commissions
    where handle = ${p.add(handle)} and partner_id = ${p.add(set.partnerId)} and status in ('pending', 'approved', 'paid')` +
    (set.campaignIds ? ` and campaign_id = any(${p.add(set.campaignIds)}::text[])` : '') +
    (window.from ? ` and created_at >= ${p.add(window.from)}` : '') + (window.to ? ` and created_at < ${p.add(window.to)}` : '');
}

export const isPartnerSet = (set: CampaignSet): set is PartnerCampaigns => !Array.isArray(set) && 'partnerId' in set;

/** Sums per campaign over the window, clicks, conversions and reversals (and a partner's commissions) in one round trip. */
export async function sumFunnel(pg: Queryable, handle: string, campaigns: CampaignSet, window: Window): Promise<Map<string, Sums>> {
  const p = new Params();
  const text = `select 'clicks' as kind, campaign_id, null::text as currency, sum(clicks) as clicks, sum(qualified_clicks) as qualified,
           null::numeric as conversions, null::numeric as verified, null::numeric as unauthenticated, null::numeric as value
      from (${windowSource(FUNNEL_CLICKS, { handle, campaigns, window }, p)}) k group by campaign_id
    union all
    select 'conversions', campaign_id, currency, null, null, sum(conversions), sum(verified_conversions), sum(unauthenticated_conversions), sum(value)
      from (${windowSource(FUNNEL_CONVERSIONS, { handle, campaigns, window }, p)}) v group by campaign_id, currency
    union all
    select 'reversals', campaign_id, currency, null, null, count(*), null, null, sum(amount)
      from (${reversalSource(handle, campaigns, window, p)}) r group by campaign_id, currency` +
    (isPartnerSet(campaigns) ? `
    union all
    select 'commissions', campaign_id, currency, null, null, null, null, null, sum(amount)
      from (${commissionSource(handle, campaigns, window, p)}) c group by campaign_id, currency` : '');
  // A partner's handovers shape the text: not prepared, or their texts would pile up on every connection.
  const spans = isPartnerSet(campaigns) && campaigns.spans?.length;
  const { rows } = await pg.query({ ...(!spans && { name: statementName(text) }), text, values: p.values });
  const out = new Map<string, Sums>();
  const of = (id: string) => out.get(id) ?? out.set(id, emptySums()).get(id)!;
  for (const r of rows) {
    const s = of(r.campaign_id);
    if (r.kind === 'clicks') {
      s.clicks = r.clicks;
      s.qualifiedClicks = r.qualified;
    } else if (r.kind === 'commissions') {
      addCents(s.commissionByCurrency, r.currency, r.value);
    } else if (r.kind === 'reversals') {
      s.reversals += r.conversions;
      if (r.currency !== null) addCents(s.reversedByCurrency, r.currency, r.value);
    } else {
      s.conversions += r.conversions;
      s.verifiedConversions += r.verified;
      s.unauthenticatedConversions += r.unauthenticated;
      addCents(s.byCurrency, r.currency, r.value);
    }
  }
  return out;
}

/** One row per listed campaign (zero rows included), plus totals scored the same way. */
export function assembleFunnel(campaigns: CampaignRef[], sums: Map<string, Sums>, reportingCurrency: string, withCommission = false, now = new Date()): Funnel {
  const total = emptySums();
  let lastClick: Date | null = null;
  const data = campaigns.map((c) => {
    const s = sums.get(c.campaignId) ?? emptySums();
    addInto(total, s);
    if (c.lastClickAt && (!lastClick || c.lastClickAt > lastClick)) lastClick = c.lastClickAt;
    return {
      campaignId: c.campaignId, partnerId: c.partnerId, ...metrics(s, c.status, c.lastClickAt, reportingCurrency, now),
      ...(withCommission && { commission: byCurrency(s.commissionByCurrency) }),
    };
  });
  // Totals are "stale" only if some listed campaign is still ACTIVE and nothing was clicked for 7 days.
  const anyActive = campaigns.some((c) => c.status === 'ACTIVE');
  const totals = metrics(total, anyActive ? 'ACTIVE' : 'INACTIVE', lastClick, reportingCurrency, now);
  return { data, totals: withCommission ? { ...totals, commission: byCurrency(total.commissionByCurrency) } : totals };
}

export async function computeFunnel(
  pg: Queryable, handle: string, campaigns: CampaignRef[], window: Window, reportingCurrency: string,
  set: CampaignSet = campaigns.map((c) => c.campaignId),
): Promise<Funnel> {
  const sums = campaigns.length ? await sumFunnel(pg, handle, set, window) : new Map<string, Sums>();
  return assembleFunnel(campaigns, sums, reportingCurrency, isPartnerSet(set));
}
