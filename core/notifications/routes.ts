import { defineRoutes, type Principal } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import type { EventType } from '../outbox/index.ts';
import { checkEventScopes } from './event-scopes.ts';
import type { NotificationsPanel } from './panel.ts';
import {
  createWebhookBody, deliveryParams, deliveryResponse, notificationsPage, notificationsQuery, updateWebhookBody, webhookParams, webhookResponse, webhookWithSecret,
} from './schemas.ts';
import type { WebhookService } from './service.ts';

type Deps = { webhooks: WebhookService; notificationsPanel: NotificationsPanel; principal: Principal };

const pingResponse = {
  title: 'QueuedPing',
  type: 'object',
  additionalProperties: false,
  required: ['deliveryId', 'webhookId', 'eventType', 'status', 'createdAt'],
  properties: {
    deliveryId: { type: 'string' }, webhookId: { type: 'string' }, eventType: { type: 'string' },
    status: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' },
  },
};
const refused = { description: 'Invalid request, or endpoint_not_allowed (loopback, private, link-local, metadata address, or plain http)' };

export const notificationRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/handles/{handle}/webhooks',
    summary: 'Subscribe an endpoint to events; returns its signing secret once',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.write' },
    params: handleParams,
    body: createWebhookBody,
    responses: { 201: { description: 'Created (the secret is never shown again)', schema: webhookWithSecret }, 400: refused, 403: { description: 'insufficient_scope: webhooks.write, or the read scope of a subscribed event type (commission.* commissions.read, payout.* payouts.read, conversion.reversed conversions.read and commissions.read, partner.updated partners.read)' }, 422: { description: 'too_many_webhooks: the handle already has WEBHOOK_MAX_PER_HANDLE webhooks' } },
    async handler(ctx, { webhooks, principal }: Deps) {
      checkEventScopes(principal, (ctx.request.body as { eventTypes: EventType[] }).eventTypes);
      ctx.status = 201;
      ctx.body = await webhooks.create(ctx.params.handle, ctx.request.body as never, principal.actor);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/webhooks',
    summary: 'List webhook subscriptions (never their secrets)',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.read' },
    params: handleParams,
    query: { properties: { ...pageQuery } },
    responses: { 200: { description: 'A page of subscriptions', schema: pageOf(webhookResponse) } },
    async handler(ctx, { webhooks }: Deps) {
      ctx.body = await webhooks.list(ctx.params.handle, ctx.state.query.limit, ctx.state.query.cursor);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/webhooks/{webhookId}',
    summary: 'Get a webhook subscription (never its secret)',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.read' },
    params: webhookParams,
    responses: { 200: { description: 'The subscription', schema: webhookResponse } },
    async handler(ctx, { webhooks }: Deps) {
      ctx.body = await webhooks.get(ctx.params.handle, ctx.params.webhookId);
    },
  },
  {
    method: 'PATCH',
    path: '/v2/handles/{handle}/webhooks/{webhookId}',
    summary: 'Opt a subscription into (or out of) the hourly retry tail; open deliveries follow the new setting from their next attempt',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.write' },
    params: webhookParams,
    body: updateWebhookBody,
    responses: { 200: { description: 'The updated subscription', schema: webhookResponse } },
    async handler(ctx, { webhooks, principal }: Deps) {
      ctx.body = await webhooks.update(ctx.params.handle, ctx.params.webhookId, ctx.request.body as { retryTail: boolean }, principal.actor);
    },
  },
  {
    method: 'DELETE',
    path: '/v2/handles/{handle}/webhooks/{webhookId}',
    summary: 'Delete a webhook subscription (its pending deliveries are dropped)',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.write' },
    params: webhookParams,
    responses: { 200: { description: 'The deleted subscription', schema: webhookResponse } },
    async handler(ctx, { webhooks, principal }: Deps) {
      ctx.body = await webhooks.delete(ctx.params.handle, ctx.params.webhookId, principal.actor);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/webhooks/{webhookId}/rotate-secret',
    summary: 'Issue a new signing secret; the previous one also signs during WEBHOOK_SECRET_OVERLAP_S',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.write' },
    params: webhookParams,
    responses: { 200: { description: 'The subscription with its new secret (shown once)', schema: webhookWithSecret }, 400: refused },
    async handler(ctx, { webhooks, principal }: Deps) {
      ctx.body = await webhooks.rotateSecret(ctx.params.handle, ctx.params.webhookId, principal.actor);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/webhooks/{webhookId}/ping',
    summary: 'Send a signed webhook.ping delivery to this subscription now',
    tags: ['webhooks'],
    auth: { scope: 'webhooks.write' },
    params: webhookParams,
    responses: { 202: { description: 'Queued; follow it in the notifications panel', schema: pingResponse } },
    async handler(ctx, { webhooks }: Deps) {
      ctx.status = 202;
      ctx.body = await webhooks.ping(ctx.params.handle, ctx.params.webhookId);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/notifications',
    summary: 'The notifications panel: deliveries (newest first) with every attempt, and per-webhook summary counts',
    tags: ['notifications'],
    auth: { scope: 'notifications.read' },
    params: handleParams,
    query: notificationsQuery,
    responses: { 200: { description: 'A page of deliveries and the summary', schema: notificationsPage } },
    async handler(ctx, { notificationsPanel }: Deps) {
      ctx.body = await notificationsPanel.list(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/notifications/{deliveryId}',
    summary: 'One delivery with every attempt',
    tags: ['notifications'],
    auth: { scope: 'notifications.read' },
    params: deliveryParams,
    responses: { 200: { description: 'The delivery', schema: deliveryResponse } },
    async handler(ctx, { notificationsPanel }: Deps) {
      ctx.body = await notificationsPanel.get(ctx.params.handle, ctx.params.deliveryId);
    },
  },
  {
    method: 'POST',
    path: '/v2/handles/{handle}/notifications/{deliveryId}/redeliver',
    summary: 'Send a failed delivery again (a new cycle of up to 6 attempts, same webhook-id); 409 unless failed',
    tags: ['notifications'],
    auth: { scope: 'webhooks.write' },
    params: deliveryParams,
    responses: { 202: { description: 'Queued again', schema: deliveryResponse }, 409: { description: 'The delivery is not failed' } },
    async handler(ctx, { notificationsPanel, principal }: Deps) {
      ctx.status = 202;
      ctx.body = await notificationsPanel.redeliver(ctx.params.handle, ctx.params.deliveryId, principal.actor);
    },
  },
]);
