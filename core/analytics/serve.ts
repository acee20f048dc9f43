// What an analytics route answers, given a query already scoped to its caller: the handle's routes
// and the partner realm's (which always sets partnerId) answer the same way.
import type { Context } from 'koa';
import { invalidRequest } from '../http/errors.ts';
import type { Principal } from '../http/route.ts';
import { withoutCommission } from './funnel.ts';
import type { ExportFormat } from './export.ts';
import type { GroupBy } from './group-by.ts';
import type { SubIdGroupBy } from './sub-id-group-by.ts';
import type { AnalyticsQuery, AnalyticsService } from './service.ts';
import type { AnalyticsStreams } from './stream.ts';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Whether the caller may see commission amounts in funnel rows (a partner's rows carry them): a partner
 * token sees its own, a handle token only with commissions.read (analytics.read alone never reveals them).
 */
export const seesCommission = (p: Principal) => p.kind !== 'token' || p.scopes.includes('commissions.read');

export type ViewQuery = AnalyticsQuery & { funnel?: boolean; groupBy?: GroupBy | SubIdGroupBy };

/** funnel=true → funnel rows and totals; groupBy → breakdown rows; `groupByNames` lists the caller's breakdowns. */
export async function answerAnalytics(ctx: Context, analytics: AnalyticsService, handle: string, query: ViewQuery, groupByNames: readonly string[], principal: Principal) {
  const { funnel, groupBy, ...q } = query;
  if (funnel && groupBy) {
    throw invalidRequest('Ask for either funnel=true or groupBy, not both.', [{ pointer: '/query/groupBy', message: 'cannot be combined with funnel=true' }]);
  }
  if (groupBy) {
    ctx.body = { data: await analytics.groupBy(handle, groupBy, q) };
  } else if (funnel) {
    const funnel = await analytics.funnel(handle, q);
    ctx.body = seesCommission(principal) ? funnel : withoutCommission(funnel);
  } else {
    throw invalidRequest(`Choose a view: funnel=true for per-campaign funnel rows, or groupBy=${groupByNames.join('|')} for a breakdown.`, [
      { pointer: '/query/funnel', message: 'funnel=true or groupBy is required' },
    ]);
  }
}

/** `realm`: a partner's own export, in its own share of the export slots (AnalyticsService.export). */
export async function answerExport(ctx: Context, analytics: AnalyticsService, handle: string, query: AnalyticsQuery & { format: ExportFormat }, realm = false) {
  const { format, ...q } = query;
  const body = await analytics.export(handle, format, q, realm);
  const name = `tenx-${handle}-${q.partnerId ? `${q.partnerId}-` : ''}${q.campaignId ?? 'all'}-${stamp(new Date())}.${format}`;
  ctx.set('content-disposition', `attachment; filename="${name}"`);
  ctx.set('cache-control', 'no-store');
  ctx.set('x-accel-buffering', 'no');
  ctx.type = CONTENT_TYPES[format];
  ctx.body = body;
}

export async function answerStream(
  ctx: Context,
  deps: { analytics: AnalyticsService; analyticsStreams: AnalyticsStreams; principal: Principal },
  handle: string,
  q: { campaignId?: string; partnerId?: string },
) {
  // 404 (unknown campaign or partner, or a campaign that is not the partner's) before the stream starts.
  if (q.campaignId || q.partnerId) await deps.analytics.scope(handle, q);
  // HEAD: the stream's headers, then the end. Opened, the stream would never send them (node writes no body for
  // HEAD, and headers go with the first body write), so the request hung and held one of the token's streams.
  if (ctx.method === 'HEAD') {
    ctx.status = 200;
    ctx.type = 'text/event-stream; charset=utf-8';
    ctx.set('cache-control', 'no-cache, no-transform');
    return;
  }
  const { kind, actor, tokenHash } = deps.principal;
  const token = (kind === 'token' || kind === 'partner') && tokenHash ? { id: actor, hash: tokenHash } : undefined;
  await deps.analyticsStreams.open(handle, q, ctx.res, token, kind === 'partner', !seesCommission(deps.principal));
  ctx.respond = false; // the stream owns the response from here on
}
