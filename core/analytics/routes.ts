import { invalidRequest } from '../http/errors.ts';
import { defineRoutes, type Principal } from '../http/route.ts';
import { handleParams } from '../tenants/schemas.ts';
import type { ExportFormat } from './export.ts';
import type { GroupBy } from './group-by.ts';
import type { SubIdGroupBy } from './sub-id-group-by.ts';
import { analyticsQuery, analyticsResponse, exportQuery, streamQuery } from './schemas.ts';
import type { AnalyticsService } from './service.ts';
import type { AnalyticsStreams } from './stream.ts';

type Deps = { analytics: AnalyticsService; analyticsStreams: AnalyticsStreams; principal: Principal };

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export const analyticsRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/v2/handles/{handle}/analytics',
    summary: 'Funnel per campaign (funnel=true) or a breakdown (groupBy=country|segment|referrer|source|day|campaign, or sub1..sub5 with campaignId); fresh within 2 s',
    tags: ['analytics'],
    auth: { scope: 'analytics.read' },
    params: handleParams,
    query: analyticsQuery,
    responses: { 200: { description: 'Funnel rows with totals, or breakdown rows', schema: analyticsResponse } },
    async handler(ctx, { analytics }: Deps) {
      const { funnel, groupBy, ...q } = ctx.state.query as { funnel?: boolean; groupBy?: GroupBy | SubIdGroupBy; campaignId?: string; from?: string; to?: string; includeArchived?: boolean };
      if (funnel && groupBy) {
        throw invalidRequest('Ask for either funnel=true or groupBy, not both.', [{ pointer: '/query/groupBy', message: 'cannot be combined with funnel=true' }]);
      }
      if (groupBy) {
        ctx.body = { data: await analytics.groupBy(ctx.params.handle, groupBy, q) };
      } else if (funnel) {
        ctx.body = await analytics.funnel(ctx.params.handle, q);
      } else {
        throw invalidRequest('Choose a view: funnel=true for per-campaign funnel rows, or groupBy=country|segment|referrer|source|day|campaign for a breakdown.', [
          { pointer: '/query/funnel', message: 'funnel=true or groupBy is required' },
        ]);
      }
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/analytics/export',
    summary: 'Stream one row per click (with its conversions) as CSV or NDJSON, in constant memory',
    tags: ['analytics'],
    auth: { scope: 'analytics.read' },
    params: handleParams,
    query: exportQuery,
    responses: {
      200: {
        description:
          'Columns: clickId, campaignId, occurredAt, country, segment, referrer (the Referer host), source (the channel), isBot, ' +
          'botReason, converted, conversions, value, currency, sub1..sub5 (the link\'s sub-IDs, empty when absent). ' +
          'A click with conversions in several currencies lists them ' +
          'space-separated and leaves value empty. Cells starting with = + - @ are prefixed with a quote.',
        schema: { type: 'string' },
        contentType: 'text/csv',
      },
      429: { description: 'rate_limited: this handle already runs EXPORT_MAX_PER_HANDLE exports, or the server EXPORT_MAX_CONCURRENT; retry after the retry-after header. A reader slower than EXPORT_MIN_BYTES_PER_S over EXPORT_STALL_MS is cut mid-stream.' },
    },
    async handler(ctx, { analytics }: Deps) {
      const { format, ...q } = ctx.state.query as { format: ExportFormat; campaignId?: string; from?: string; to?: string; includeArchived?: boolean };
      const body = await analytics.export(ctx.params.handle, format, q);
      const name = `tenx-${ctx.params.handle}-${q.campaignId ?? 'all'}-${stamp(new Date())}.${format}`;
      ctx.set('content-disposition', `attachment; filename="${name}"`);
      ctx.set('cache-control', 'no-store');
      ctx.set('x-accel-buffering', 'no');
      ctx.type = CONTENT_TYPES[format];
      ctx.body = body;
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/analytics/stream',
    summary: 'Server-Sent Events: a funnel snapshot, then funnel rows of changed campaigns at most once a second; heartbeat comments every 15 s',
    tags: ['analytics'],
    auth: { scope: 'analytics.read' },
    params: handleParams,
    query: streamQuery,
    responses: {
      200: {
        description:
          'text/event-stream. `event: funnel` carries `{data: [funnel rows], totals?}` (all-time; the first event is the full snapshot with totals); ' +
          '`event: close` precedes a server-side close (reason: the server is shutting down, or the token was revoked or expired; checked every poll). Comments (`: heartbeat`) keep the connection alive.',
        schema: { type: 'string' },
        contentType: 'text/event-stream',
      },
      429: { description: 'rate_limited: this token holds ANALYTICS_SSE_MAX_PER_TOKEN open streams, or the handle ANALYTICS_SSE_MAX_PER_HANDLE, on this server process' },
    },
    async handler(ctx, { analytics, analyticsStreams, principal }: Deps) {
      const { campaignId } = ctx.state.query as { campaignId?: string };
      if (campaignId) await analytics.scope(ctx.params.handle, { campaignId }); // 404 before the stream starts
      await analyticsStreams.open(ctx.params.handle, campaignId, ctx.res, principal.kind === 'token' ? principal.actor : undefined);
      ctx.respond = false; // the stream owns the response from here on
    },
  },
]);
