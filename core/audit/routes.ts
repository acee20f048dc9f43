import { defineRoutes } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import type { AuditService } from './service.ts';
import { WINDOW_QUERY } from '../http/time-window.ts';

const auditEvent = {
  title: 'AuditEvent',
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'type', 'actor', 'actorName', 'campaignId', 'subjectId', 'payload', 'createdAt'],
  properties: {
    eventId: { type: 'string' }, type: { type: 'string' }, actor: { type: 'string' },
    actorName: {
      type: ['string', 'null'],
      description: "The actor token's name: \"owner\", a personal access token's, or \"partner alpha: portal\" for a partner token; null for admin and public",
    },
    campaignId: { type: ['string', 'null'] }, subjectId: { type: ['string', 'null'] },
    payload: { type: 'object' }, createdAt: { type: 'string', format: 'date-time' },
  },
};

export const auditRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/v2/handles/{handle}/audit-events',
    summary: 'List audit events (conversions, campaign, token, webhook and plugin changes), newest first',
    tags: ['audit'],
    // Contract v2.1: the log shows webhook URLs, token scopes and plugin settings, so it has its own scope.
    auth: { scope: 'audit.read' },
    params: handleParams,
    query: {
      properties: {
        ...pageQuery,
        type: { type: 'string', maxLength: 64 },
        campaignId: { type: 'string', maxLength: 64 },
        ...WINDOW_QUERY,
      },
    },
    responses: { 200: { description: 'A page of audit events', schema: pageOf(auditEvent) } },
    async handler(ctx, { audit }: { audit: AuditService }) {
      ctx.body = await audit.list(ctx.params.handle, ctx.state.query);
    },
  },
]);
