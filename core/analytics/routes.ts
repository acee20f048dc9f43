import { defineRoutes, type Principal } from '../http/route.ts';
import { handleParams } from '../http/handle.ts';
import { GROUP_BY } from './group-by.ts';
import { SUB_ID_GROUP_BY } from './sub-id-group-by.ts';
import { analyticsQuery, analyticsResponse, exportQuery, streamQuery } from './schemas.ts';
import { answerAnalytics, answerExport, answerStream } from './serve.ts';
import type { AnalyticsService } from './service.ts';
import type { AnalyticsStreams } from './stream.ts';

type Deps = { analytics: AnalyticsService; analyticsStreams: AnalyticsStreams; principal: Principal };

export const analyticsRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/v2/handles/{handle}/analytics',
    summary: 'Funnel per campaign (funnel=true) or a breakdown (groupBy=country|segment|referrer|source|browser|os|day|hour|campaign|partner, or sub1..sub5 with campaignId or partnerId), optionally of one partner; fresh within 2 s',
    tags: ['analytics'],
    auth: { scope: 'analytics.read' },
    params: handleParams,
    query: analyticsQuery,
    responses: { 200: { description: 'Funnel rows with totals, or breakdown rows', schema: analyticsResponse } },
    async handler(ctx, { analytics, principal }: Deps) {
      await answerAnalytics(ctx, analytics, ctx.params.handle, ctx.state.query, [...GROUP_BY, ...SUB_ID_GROUP_BY], principal);
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
          'botReason, converted, conversions, value, currency, sub1..sub5 (the link\'s sub-IDs, empty when absent), partnerId (the partner that held the campaign when the click happened). ' +
          'A click whose conversions with a value are in several currencies lists them ' +
          'space-separated and leaves value empty (there is no exchange rate; the funnel\'s revenueByCurrency has each); a conversion without a value adds no currency beside ones that have a value. Cells starting with = + - @ are prefixed with a quote.',
        schema: { type: 'string' },
        contentType: 'text/csv',
        alternatives: { 'application/x-ndjson': { type: 'string', description: 'format=ndjson: one JSON object per click, with the same fields.' } },
      },
      429: { description: 'rate_limited: this handle already runs EXPORT_MAX_PER_HANDLE exports, or the server EXPORT_MAX_CONCURRENT; retry after the retry-after header. A reader slower than EXPORT_MIN_BYTES_PER_S over EXPORT_STALL_MS is cut mid-stream.' },
    },
    async handler(ctx, { analytics }: Deps) {
      await answerExport(ctx, analytics, ctx.params.handle, ctx.state.query);
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
    async handler(ctx, deps: Deps) {
      const { campaignId, partnerId } = ctx.state.query as { campaignId?: string; partnerId?: string };
      await answerStream(ctx, deps, ctx.params.handle, { campaignId, partnerId });
    },
  },
]);
