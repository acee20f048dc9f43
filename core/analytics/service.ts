import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { Config } from '../../config/index.ts';
import { invalidRequest, notFound, rateLimited } from '../http/errors.ts';
import { Slots } from '../infra/slots.ts';
import { shareClaims, shareRefusal } from './shares.ts';
import { ExportStalled } from './export-pace.ts';
import { openExport, type ExportFormat } from './export.ts';
import { assembleFunnel, computeFunnel, sumFunnel, type CampaignRef, type Funnel, type Queryable } from './funnel.ts';
import { computeGroupBy, type GroupBy, type GroupRow } from './group-by.ts';
import { checkHourlySpan, spanWithin, type CampaignSet, type Window } from './range.ts';
import { exactWindow } from './exact-window.ts';
import { handleSpans, parseSpans, partnerCampaigns } from './partner-spans.ts';
import { computeSubIdGroupBy, isSubIdGroupBy, type SubIdGroupBy } from './sub-id-group-by.ts';

export interface AnalyticsQuery {
  campaignId?: string;
  /** Only this partner's campaigns (the handle's filter, and always set on the partner realm). */
  partnerId?: string;
  from?: string;
  to?: string;
  includeArchived?: boolean;
}

export interface AnalyticsScope {
  reportingCurrency: string;
  campaigns: CampaignRef[];
  window: Window;
}

const SCOPE = {
  name: 'analytics-scope',
  text: `select t.reporting_currency, c.campaign_id, c.partner_id, c.status, s.last_click_at
           from tenants t
           left join campaigns c on c.handle = t.handle and ($2::text is null or c.campaign_id = $2)
           left join campaign_stats s on s.handle = c.handle and s.campaign_id = c.campaign_id
          where t.handle = $1
          order by c.campaign_id`,
};

// A partner's campaigns now or before, with the times it held those that changed partner.
const PARTNER_SCOPE = {
  name: 'analytics-partner-scope',
  text: `select t.reporting_currency, p.partner_id as known_partner, c.campaign_id, c.partner_id, c.status, s.last_click_at, sp.spans, sp.last_own_click
           from tenants t
           left join partners p on p.handle = t.handle and p.partner_id = $3
           left join campaigns c on c.handle = t.handle and ($2::text is null or c.campaign_id = $2)
                                and (c.partner_id = $3 or exists (select 1 from campaign_partner_spans h
                                       where h.handle = c.handle and h.campaign_id = c.campaign_id and h.partner_id = $3))
           left join campaign_stats s on s.handle = c.handle and s.campaign_id = c.campaign_id
           left join lateral (
                  -- Each span, and the partner's own last click in it (the campaign's last may be another's): the
                  -- open span's is the campaign's if made since; a closed span's, one probe of the clicks index
                  -- between its bounds (bounds the index and the month partitions can use).
                  select json_agg(json_build_object('from', x.since, 'to', x.until) order by x.since nulls first) as spans, max(k.at) as last_own_click
                    from campaign_partner_spans x
                    left join lateral (select s.last_click_at as at where x.until is null and s.last_click_at >= x.since
                                       union all
                                       (select k.occurred_at from clicks k
                                         where x.until is not null and k.handle = c.handle and k.campaign_id = c.campaign_id
                                           and k.occurred_at >= coalesce(x.since, '-infinity') and k.occurred_at < x.until
                                         order by k.occurred_at desc limit 1)) k on true
                   where x.handle = c.handle and x.campaign_id = c.campaign_id and x.partner_id = $3
                ) sp on true
          where t.handle = $1
          order by c.campaign_id`,
};

/**
 * The campaigns a request covers: the one asked for (404 if unknown, even archived), else every
 * campaign of the handle except ARCHIVED ones unless includeArchived; with partnerId only that
 * partner's, now or before (404 for an unknown partner, or a campaign the partner never had), each
 * with the times the partner held it when it changed partner.
 */
export async function loadScope(pg: Queryable, handle: string, q: AnalyticsQuery): Promise<AnalyticsScope> {
  const window = exactWindow(q.from, q.to);
  const { rows } = await pg.query(q.partnerId
    ? { ...PARTNER_SCOPE, values: [handle, q.campaignId ?? null, q.partnerId] }
    : { ...SCOPE, values: [handle, q.campaignId ?? null] });
  if (!rows.length) throw notFound('Handle');
  if (q.partnerId && rows[0].known_partner === null) throw notFound('Partner');
  const campaigns: CampaignRef[] = rows
    .filter((r) => r.campaign_id !== null && (q.campaignId || q.includeArchived || r.status !== 'ARCHIVED'))
    .map((r) => (q.partnerId ? partnerRef(r, q.partnerId, window, Boolean(q.campaignId)) : { campaignId: r.campaign_id, partnerId: r.partner_id, status: r.status, lastClickAt: r.last_click_at }))
    .filter((c): c is CampaignRef => c !== undefined);
  if (q.campaignId && !campaigns.length) throw notFound('Campaign');
  return { reportingCurrency: rows[0].reporting_currency, campaigns, window };
}

/**
 * A campaign in a partner's view: the partner's own row, with its spans if the campaign changed
 * partner. A campaign the partner no longer holds is listed when its time meets the window (or when
 * asked for by id). Its last click is the partner's own: in a campaign that changed partner, the
 * last one in the partner's spans (the campaign's may be another partner's).
 */
type ScopeRow = { campaign_id: string; partner_id: string | null; status: string; last_click_at: Date | null; spans: [] | null; last_own_click: Date | null };
function partnerRef(r: ScopeRow, partnerId: string, window: Window, asked: boolean): CampaignRef | undefined {
  const spans = parseSpans(r.spans, r.campaign_id);
  const current = r.partner_id === partnerId;
  if (!current && !asked && !spans?.some((s) => spanWithin(window, s))) return undefined;
  return { campaignId: r.campaign_id, partnerId, spans, current, status: r.status, lastClickAt: spans ? r.last_own_click : r.last_click_at };
}

// A partner's sums cover only the campaigns its lookup saw, over the times it held them.
const campaignSet = (q: AnalyticsQuery, scope: CampaignRef[] = []): CampaignSet =>
  q.partnerId
    ? partnerCampaigns(q.partnerId, scope, Boolean(q.includeArchived))
    : q.campaignId ? [q.campaignId] : { includeArchived: Boolean(q.includeArchived) };

/** Funnel, breakdowns and exports of one handle: the one face the routes, the stream and the CLI use. */
export class AnalyticsService {
  /** `pg` is the read pool (pgRead: DATABASE_READ_URL when set): every query here only reads. */
  private readonly deps: { pg: Pool; exportPool: Pool; config: Config; log: Logger };
  /** Export slots of this process: EXPORT_MAX_CONCURRENT in all, EXPORT_MAX_PER_HANDLE per handle. */
  private readonly exportSlots = new Slots();

  constructor(deps: { pgRead: Pool; exportPool: Pool; config: Config; log: Logger }) {
    // Named picks: deps is the container's cradle (a proxy resolving on access).
    this.deps = { pg: deps.pgRead, exportPool: deps.exportPool, config: deps.config, log: deps.log };
  }

  scope(handle: string, q: AnalyticsQuery): Promise<AnalyticsScope> {
    return loadScope(this.deps.pg, handle, q);
  }

  /**
   * Campaign lookup and sums run side by side: the sums select the campaigns themselves. A partner's
   * sums wait for the lookup, which says since when each of its campaigns is its own.
   */
  async funnel(handle: string, q: AnalyticsQuery): Promise<Funnel> {
    const window = exactWindow(q.from, q.to); // a bad window is a 400 before any query starts
    if (q.partnerId) {
      const s = await this.scope(handle, q);
      return assembleFunnel(s.campaigns, await sumFunnel(this.deps.pg, handle, campaignSet(q, s.campaigns), window), s.reportingCurrency, true);
    }
    const [s, sums] = await Promise.all([this.scope(handle, q), sumFunnel(this.deps.pg, handle, campaignSet(q), window)]);
    return assembleFunnel(s.campaigns, sums, s.reportingCurrency);
  }

  /**
   * All-time funnel rows for the live stream: the given campaigns (archived ones too), or with
   * null the funnel's default set, with totals; with a partner, only among its campaigns.
   */
  async funnelOf(handle: string, campaignIds: string[] | null, partnerId?: string): Promise<Funnel> {
    const s = await this.scope(handle, { includeArchived: campaignIds !== null, partnerId });
    const wanted = campaignIds && new Set(campaignIds);
    const campaigns = wanted ? s.campaigns.filter((c) => wanted.has(c.campaignId)) : s.campaigns;
    const set = partnerId ? partnerCampaigns(partnerId, campaigns, true) : undefined;
    return computeFunnel(this.deps.pg, handle, campaigns, s.window, s.reportingCurrency, set);
  }

  async groupBy(handle: string, by: GroupBy | SubIdGroupBy, q: AnalyticsQuery): Promise<GroupRow[]> {
    if (isSubIdGroupBy(by)) return this.groupBySubId(handle, by, q);
    const window = exactWindow(q.from, q.to);
    if (by === 'hour') checkHourlySpan(window);
    if (q.partnerId) {
      const s = await this.scope(handle, q);
      return computeGroupBy(this.deps.pg, by, { handle, campaigns: campaignSet(q, s.campaigns), window });
    }
    // By partner, the campaigns that changed partner count for each holder over its own time.
    const spans = by === 'partner' ? await handleSpans(this.deps.pg, handle, Boolean(q.includeArchived || q.campaignId)) : undefined;
    const [, rows] = await Promise.all([this.scope(handle, q), computeGroupBy(this.deps.pg, by, { handle, campaigns: campaignSet(q), window, spans })]);
    return rows; // the scope lookup only answers 404 for an unknown campaign
  }

  /**
   * Sub-ID breakdowns read raw rows, so they name one campaign or one partner (a campaign that changed
   * partner over the times the partner held it).
   */
  private async groupBySubId(handle: string, by: SubIdGroupBy, q: AnalyticsQuery): Promise<GroupRow[]> {
    if (!q.campaignId && !q.partnerId) {
      throw invalidRequest(`groupBy=${by} needs a campaignId or a partnerId.`, [{ pointer: '/query/campaignId', message: `is required with groupBy=${by}` }]);
    }
    const s = await this.scope(handle, q); // 404 for an unknown campaign or partner, and the window (400 when from >= to)
    const whole = s.campaigns.filter((c) => !c.spans).map((c) => c.campaignId);
    return computeSubIdGroupBy(this.deps.pg, by, { handle, campaignIds: whole, spans: s.campaigns.flatMap((c) => c.spans ?? []), window: s.window });
  }

  /**
   * Starts an export on the exports' own pool, within the process's slots and the handle's share
   * (EXPORT_MAX_PER_HANDLE), of which a partner of the realm (`realm`) takes only its part (shares.ts).
   * 429 beyond any. A reader slower than EXPORT_MIN_BYTES_PER_S over EXPORT_STALL_MS is cut.
   */
  async export(handle: string, format: ExportFormat, q: AnalyticsQuery, realm = false) {
    const { config, log, exportPool } = this.deps;
    const s = await this.scope(handle, q);
    const shares = shareClaims(handle, config.exportMaxPerHandle, realm ? q.partnerId : undefined);
    const slot = this.exportSlots.take([['process', config.exportMaxConcurrent], ...shares]);
    if ('full' in slot) {
      throw rateLimited(slot.full === 'process' ? 'Too many exports are running on this server; retry shortly.' : shareRefusal(slot.full, shares, 'export'), 5);
    }
    const done = (err?: Error) => {
      slot.release();
      // The 200 and part of the body are out: a failure now can only cut the stream, so say why here.
      if (err instanceof ExportStalled) log.warn({ handle, format, reason: err.message }, 'export cut: its reader was too slow');
      else if (err && (err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.error({ err, handle, format }, 'export stopped before its last row');
    };
    try {
      const campaignIds = s.campaigns.map((c) => c.campaignId);
      const pace = { windowMs: config.exportStallMs, minBytesPerS: config.exportMinBytesPerS };
      return await openExport(exportPool, { handle, campaignIds, partnerId: q.partnerId, window: s.window }, format, pace, done);
    } catch (err) {
      slot.release();
      throw err;
    }
  }
}
