// The events a webhook (or a POST partner postback) receives, as the OpenAPI document's `webhooks`
// section describes them (API.md "Webhooks and notifications", "Events, postbacks"): the envelope, the
// Standard Webhooks headers, and each type's `data`. Objects "as returned by the API" refer to the
// document's own component schemas, so a client generated from it types events and answers alike.
import type { WebhookEventDoc } from '../http/openapi.ts';
import type { EventType } from '../outbox/index.ts';
import { POSTBACK_EVENTS } from './postback-fanout.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A component schema (closed: additionalProperties false) plus the fields the event adds to it. */
const extend = (name: string, properties: Record<string, object>, required: string[] = []) => ({ 'x-extends': name, properties, required });
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const subIds = Object.fromEntries(
  ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'].map((s) => [s, { ...nullableString, description: `The click's ${s}.` }]),
);
const previous = (what: string) => ({
  type: 'object',
  description: `The ${what} fields this change replaced, with their values before it.`,
});

const conversion = {
  type: 'object',
  required: ['clickId', 'campaignId', 'conversionId', 'value', 'currency', 'eventType'],
  properties: {
    clickId: { type: 'string', format: 'uuid' },
    campaignId: { type: 'string' },
    conversionId: { type: 'string', format: 'uuid' },
    value: { type: ['number', 'null'] },
    currency: nullableString,
    eventType: { type: 'string' },
    authenticated: {
      type: 'boolean',
      description: "Posted with a merchant token (v2.1); false: a ctx-only submission the handle's publicConversions setting flagged.",
    },
  },
};

const EVENTS: Record<EventType, Omit<WebhookEventDoc, 'description'>> = {
  'link.clicked': {
    summary: 'A short link was followed and the click stored (bot-flagged clicks included)',
    data: {
      type: 'object',
      required: ['clickId', 'campaignId', 'occurredAt', 'country', 'segment', 'source', 'isBot'],
      properties: {
        clickId: { type: 'string', format: 'uuid' },
        campaignId: { type: 'string' },
        occurredAt: dateTime,
        country: { type: 'string', description: 'ISO-3166 alpha-2, ZZ when unknown.' },
        segment: { type: 'string' },
        source: { type: 'string' },
        referrerHost: nullableString,
        isBot: { type: 'boolean' },
        botReason: nullableString,
        ...subIds,
      },
    },
  },
  'conversion.tested': { summary: 'A conversion was recorded (every non-deduped one)', data: conversion },
  'conversion.deduped': {
    summary: 'A conversion was submitted again with a known idempotencyKey; data is the original',
    data: {
      ...conversion,
      properties: { ...conversion.properties, mismatch: { type: 'boolean', description: 'The resubmission differed from the original.' } },
    },
  },
  'campaign.updated': {
    summary: 'A campaign was changed or archived',
    data: {
      type: 'object',
      required: ['campaignId', 'change', 'campaign'],
      properties: {
        campaignId: { type: 'string' },
        change: { enum: ['updated', 'archived'] },
        before: previous('campaign'),
        after: { type: 'object', description: 'The changed fields with their new values.' },
        campaign: ref('Campaign'),
      },
    },
  },
  'webhook.ping': {
    summary: 'Sent by POST .../webhooks/{webhookId}/ping to check an endpoint',
    data: {
      type: 'object',
      required: ['webhookId', 'message'],
      properties: { webhookId: { type: 'string', format: 'uuid' }, message: { type: 'string' } },
    },
  },
  'commission.created': {
    summary: 'A commission row was written (conversion, click day, adjustment or clawback)',
    data: ref('Commission'),
  },
  'commission.updated': {
    summary: "A commission's status changed; previous.status is the old one",
    data: extend('Commission', { previous: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } }, [
      'previous',
    ]),
  },
  'conversion.reversed': {
    summary: 'A conversion was (partly) reversed',
    data: extend('Reversal', {
      campaignId: { type: 'string' },
      partnerId: nullableString,
      value: { type: ['number', 'null'], description: "The conversion's value." },
      reversedValue: { type: 'number', description: 'All that is reversed of it so far.' },
    }),
  },
  'payout.created': { summary: 'A payout run created a payout', data: ref('Payout') },
  'payout.paid': { summary: 'A payout was marked paid', data: ref('Payout') },
  'payout.canceled': { summary: 'A pending payout was canceled: by hand, or by a refund that left it nothing a run would pay', data: ref('Payout') },
  'payout.amended': {
    summary: 'A refund changed a pending payout: a full one took its commission out, a partial one added its negative adjustment; amount and commissionCount are new, previous says what they were',
    data: extend('Payout', {
      previous: { type: 'object', description: 'What it was before: amount and commissionCount.', properties: { amount: { type: 'number' }, commissionCount: { type: 'integer' } } },
    }),
  },
  'partner.updated': {
    summary: 'A partner was changed',
    data: extend('Partner', { previous: previous('partner') }),
  },
};

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Every event's documentation, with who receives it and this server's delivery timeout and retry delays. */
export function eventDocs(delivery: { timeoutMs: number; retryBaseMs: number }): Record<EventType, WebhookEventDoc> {
  const retries = [0, 1, 2, 3, 4].map((n) => seconds(delivery.retryBaseMs * 2 ** n)).join(', ');
  const postbacks = new Set<string>(POSTBACK_EVENTS);
  const docs = {} as Record<EventType, WebhookEventDoc>;
  for (const [type, doc] of Object.entries(EVENTS) as [EventType, (typeof EVENTS)[EventType]][]) {
    const receivers = `POSTed to every webhook subscribed to \`${type}\`` +
      (postbacks.has(type) ? ", and by POST partner postbacks subscribed to it (signed with the postback's secret)" : '');
    docs[type] = {
      ...doc,
      description: `${receivers}. Answer 2xx within ${seconds(delivery.timeoutMs)} (WEBHOOK_TIMEOUT_MS); anything else is retried 5 times ` +
        `(after ${retries}: WEBHOOK_RETRY_BASE_MS, doubling), then the delivery is failed and can be redelivered.`,
    };
  }
  return docs;
}
