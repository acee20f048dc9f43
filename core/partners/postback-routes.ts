import { pageOf, pageQuery } from '../http/pagination.ts';
import { defineRoutes, type Principal } from '../http/route.ts';
import {
  POSTBACK_EVENTS, POSTBACK_MACROS, notificationsPage, notificationsQuery, templateFormProblem, type CreatePostback, type PostbackService,
} from '../notifications/index.ts';
import { handleParam, handleParams } from '../http/handle.ts';
import type { PartnerRealm } from './realm.ts';

type Deps = { partnerRealm: PartnerRealm; postbacks: PostbackService; principal: Principal };

const REALM = 'partner realm';
const postbackParams = { type: 'object', properties: { handle: handleParam, postbackId: { type: 'string', format: 'uuid' } } } as const;

const createPostbackBody = {
  type: 'object',
  additionalProperties: false,
  required: ['urlTemplate', 'events'],
  properties: {
    urlTemplate: {
      type: 'string', minLength: 1, maxLength: 2048,
      description: `https URL of the partner's tracker; macros (URL-encoded when sent) in its path and query: ${POSTBACK_MACROS.map((m) => `{${m}}`).join(' ')}.`,
    },
    method: { enum: ['GET', 'POST'], default: 'GET', description: 'GET calls the expanded URL; POST also sends the event JSON, signed (Standard Webhooks) with the postback\'s secret.' },
    events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...POSTBACK_EVENTS] } },
  },
} as const;

const postbackResponse = {
  title: 'Postback',
  type: 'object',
  additionalProperties: false,
  required: ['postbackId', 'partnerId', 'urlTemplate', 'method', 'events', 'createdAt'],
  properties: {
    postbackId: { type: 'string', format: 'uuid' }, partnerId: { type: 'string' }, urlTemplate: { type: 'string' }, method: { enum: ['GET', 'POST'] },
    events: { type: 'array', items: { enum: [...POSTBACK_EVENTS] } }, createdAt: { type: 'string', format: 'date-time' },
  },
};
const postbackWithSecret = {
  ...postbackResponse,
  title: 'PostbackWithSecret',
  required: [...postbackResponse.required, 'secret'],
  properties: { ...postbackResponse.properties, secret: { type: 'string', description: 'whsec_…: signs POST postbacks. Shown only here; stored encrypted.' } },
};
const { webhookId: _webhookId, ...deliveriesQuery } = notificationsQuery.properties;

/** The partner realm's postbacks (API.md "Events, postbacks"): always the calling partner's own. */
export const postbackRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/handles/{handle}/partner/postbacks',
    summary: "Point tenx at the partner's tracker: a URL template called for its own events; returns its secret once",
    tags: [REALM],
    auth: { partner: 'partner.postbacks.write' },
    params: handleParams,
    body: createPostbackBody,
    moreBodyProblems: (body) => {
      const template = (body as { urlTemplate?: unknown } | null)?.urlTemplate;
      return typeof template === 'string' ? (templateFormProblem(template)?.details ?? []) : [];
    },
    responses: {
      201: { description: 'Created (the secret is never shown again)', schema: postbackWithSecret },
      400: { description: 'Invalid request (an unknown macro is named), or endpoint_not_allowed (the webhooks\' SSRF rules)' },
      422: { description: 'too_many_postbacks: the partner already has WEBHOOK_MAX_PER_HANDLE postbacks' },
    },
    async handler(ctx, { partnerRealm, postbacks, principal }: Deps) {
      ctx.status = 201;
      ctx.body = await postbacks.create(ctx.params.handle, partnerRealm.partnerId, ctx.request.body as CreatePostback, principal.actor);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/postbacks',
    summary: "The partner's postbacks (never their secrets)",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: handleParams,
    query: { properties: { ...pageQuery } },
    responses: { 200: { description: 'A page of postbacks', schema: pageOf(postbackResponse) } },
    async handler(ctx, { partnerRealm, postbacks }: Deps) {
      ctx.body = await postbacks.list(ctx.params.handle, partnerRealm.partnerId, ctx.state.query.limit, ctx.state.query.cursor);
    },
  },
  {
    method: 'DELETE',
    path: '/v2/handles/{handle}/partner/postbacks/{postbackId}',
    summary: 'Delete one of the partner\'s postbacks (its deliveries go with it)',
    tags: [REALM],
    auth: { partner: 'partner.postbacks.write' },
    params: postbackParams,
    responses: { 200: { description: 'The deleted postback', schema: postbackResponse } },
    async handler(ctx, { partnerRealm, postbacks, principal }: Deps) {
      ctx.body = await postbacks.delete(ctx.params.handle, partnerRealm.partnerId, ctx.params.postbackId, principal.actor);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/partner/postbacks/{postbackId}/deliveries',
    summary: "A postback's deliveries with every attempt, as the handle's notifications panel shows them",
    tags: [REALM],
    auth: { partner: 'partner.read' },
    params: postbackParams,
    query: { properties: deliveriesQuery },
    responses: { 200: { description: 'A page of deliveries (webhookId is the postbackId) and the postback\'s summary', schema: notificationsPage } },
    async handler(ctx, { partnerRealm, postbacks }: Deps) {
      ctx.body = await postbacks.deliveries(ctx.params.handle, partnerRealm.partnerId, ctx.params.postbackId, ctx.state.query);
    },
  },
]);
