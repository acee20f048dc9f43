import { EVENT_TYPES } from '../outbox/index.ts';
import { pageQuery } from '../http/pagination.ts';
import { handleParam } from '../http/handle.ts';
import { WINDOW_QUERY } from '../http/time-window.ts';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export const webhookParams = { type: 'object', properties: { handle: handleParam, webhookId: uuid } } as const;
export const deliveryParams = { type: 'object', properties: { handle: handleParam, deliveryId: uuid } } as const;

export const createWebhookBody = {
  type: 'object',
  additionalProperties: false,
  required: ['endpointUrl', 'eventTypes'],
  properties: {
    endpointUrl: { type: 'string', format: 'uri', maxLength: 2048, description: 'https URL (http and private addresses only with WEBHOOK_ALLOW_PRIVATE).' },
    eventTypes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...EVENT_TYPES] } },
    channel: {
      type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', default: 'webhook',
      description: 'Notification channel plugin (enabled for the handle): `webhook` (signed JSON) or e.g. `slack`.',
    },
    retryTail: {
      type: 'boolean', default: false,
      description: 'After the 5 backoff retries, keep trying once an hour for as long as the server\'s WEBHOOK_RETRY_TAIL (e.g. 24h); no effect when the server offers none.',
    },
  },
} as const;

export const updateWebhookBody = {
  type: 'object',
  additionalProperties: false,
  required: ['retryTail'],
  // Without the create body's default: ajv would fill `false` into `{}` and satisfy `required` with it, so an
  // empty PATCH turned a webhook's retry tail off instead of being refused.
  properties: { retryTail: { type: 'boolean', description: createWebhookBody.properties.retryTail.description } },
} as const;

export const webhookResponse = {
  title: 'Webhook',
  type: 'object',
  additionalProperties: false,
  required: ['webhookId', 'endpointUrl', 'eventTypes', 'channel', 'retryTail', 'createdAt', 'secretRotatedAt', 'previousSecretExpiresAt'],
  properties: {
    webhookId: { type: 'string' },
    endpointUrl: { type: 'string' },
    eventTypes: { type: 'array', items: { type: 'string' } },
    channel: { type: 'string' },
    retryTail: { type: 'boolean', description: 'Whether failed deliveries continue hourly after the 5 backoff retries (WEBHOOK_RETRY_TAIL).' },
    createdAt: dateTime,
    secretRotatedAt: { type: ['string', 'null'], format: 'date-time' },
    previousSecretExpiresAt: { type: ['string', 'null'], format: 'date-time', description: 'Until then the previous secret also signs (a second v1 entry).' },
  },
};

export const webhookWithSecret = {
  ...webhookResponse,
  title: 'WebhookWithSecret',
  required: [...webhookResponse.required, 'secret'],
  properties: {
    ...webhookResponse.properties,
    secret: { type: 'string', description: 'whsec_ + base64 of 32 random bytes. Shown only in this response; stored encrypted.' },
  },
};

const attempt = {
  title: 'DeliveryAttempt',
  type: 'object',
  additionalProperties: false,
  required: ['attempt', 'at', 'statusCode', 'latencyMs', 'error', 'responseSnippet'],
  properties: {
    attempt: { type: 'integer' },
    at: dateTime,
    statusCode: { type: ['integer', 'null'] },
    latencyMs: { type: 'integer' },
    error: { type: ['string', 'null'], description: 'http_<status>, timeout, connection_refused, dns, tls, endpoint_not_allowed, channel_disabled, interrupted (the server stopped mid-send: sent again at once, not one of the delivery\'s tries), other:<code>' },
    responseSnippet: { type: ['string', 'null'], description: 'At most 1 KiB of the response body.' },
  },
};

export const deliveryResponse = {
  title: 'Delivery',
  type: 'object',
  additionalProperties: false,
  required: ['deliveryId', 'webhookId', 'eventId', 'eventType', 'status', 'attempts', 'nextAttemptAt', 'redeliveries', 'createdAt', 'updatedAt', 'completedAt'],
  properties: {
    deliveryId: { type: 'string', description: 'Also the webhook-id header and the payload id; unchanged on retries.' },
    webhookId: { type: 'string', description: 'The webhook, or the partner postback (postbackId), that sent it.' },
    partnerId: { type: ['string', 'null'], description: 'Set when a partner postback sent it.' },
    eventId: { type: 'string' },
    eventType: { type: 'string' },
    status: { enum: [...DELIVERY_STATUSES] },
    attempts: { type: 'array', items: attempt },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    redeliveries: { type: 'integer' },
    createdAt: dateTime,
    updatedAt: dateTime,
    completedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const webhookSummary = {
  title: 'WebhookDeliverySummary',
  type: 'object',
  additionalProperties: false,
  required: ['partnerId', 'succeeded', 'failed', 'retrying', 'pending', 'successRate'],
  properties: {
    partnerId: { type: ['string', 'null'], description: "The partner whose postback this is; null for one of the handle's webhooks." },
    succeeded: { type: 'integer' }, failed: { type: 'integer' }, retrying: { type: 'integer' }, pending: { type: 'integer' },
    successRate: { type: ['number', 'null'], description: 'succeeded / (succeeded + failed); null before any delivery finished.' },
  },
};

export const notificationsQuery = {
  properties: {
    ...pageQuery,
    webhookId: uuid,
    status: { enum: [...DELIVERY_STATUSES] },
    ...WINDOW_QUERY,
  },
} as const;

export const notificationsPage = {
  title: 'NotificationsPage',
  type: 'object',
  additionalProperties: false,
  required: ['data', 'nextCursor', 'summary'],
  properties: {
    data: { type: 'array', items: deliveryResponse },
    nextCursor: { type: ['string', 'null'] },
    summary: {
      type: 'object',
      description: 'Per webhook (keyed by webhookId), counts over the filters webhookId/from/to (not status or paging).',
      additionalProperties: webhookSummary,
    },
  },
};
