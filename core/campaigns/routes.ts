import { defineRoutes, type Principal } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/pagination.ts';
import { handleParams } from '../http/handle.ts';
import { campaignParams, campaignResponse, createCampaignBody, listCampaignsQuery, patchCampaignBody } from './schemas.ts';
import type { CampaignService } from './service.ts';
import { looseCampaignProblems } from './validation.ts';

type Deps = { campaigns: CampaignService; principal: Principal };

export const campaignRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/v2/handles/{handle}/campaigns',
    summary: 'Create a campaign and its primary short link (one campaign per partner)',
    tags: ['campaigns'],
    auth: { scope: 'campaigns.write' },
    params: handleParams,
    body: createCampaignBody,
    moreBodyProblems: (body, ctx, { pluginHost }) => looseCampaignProblems(body, ctx.params.handle, pluginHost, 'create'),
    responses: {
      201: { description: 'Created, with the derived trackingPreset, conversionEvent and primaryLink.shortUrl', schema: campaignResponse },
      409: { description: 'conflict: the campaignId or the slug is taken in this handle' },
      422: { description: 'unknown_partner: partnerId names no partner of this handle' },
    },
    async handler(ctx, { campaigns, principal }: Deps) {
      ctx.status = 201;
      ctx.body = await campaigns.create(ctx.params.handle, ctx.request.body as never, principal.actor);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/campaigns',
    summary: 'List campaigns (optionally by status)',
    tags: ['campaigns'],
    auth: { scope: 'campaigns.read' },
    params: handleParams,
    query: { properties: { ...pageQuery, ...listCampaignsQuery } },
    responses: { 200: { description: 'A page of campaigns, by campaignId', schema: pageOf(campaignResponse) } },
    async handler(ctx, { campaigns }: Deps) {
      ctx.body = await campaigns.list(ctx.params.handle, ctx.state.query);
    },
  },
  {
    method: 'GET',
    path: '/v2/handles/{handle}/campaigns/{campaignId}',
    summary: 'Get a campaign',
    tags: ['campaigns'],
    auth: { scope: 'campaigns.read' },
    params: campaignParams,
    responses: { 200: { description: 'The campaign', schema: campaignResponse } },
    async handler(ctx, { campaigns }: Deps) {
      ctx.body = await campaigns.get(ctx.params.handle, ctx.params.campaignId);
    },
  },
  {
    method: 'PATCH',
    path: '/v2/handles/{handle}/campaigns/{campaignId}',
    summary: 'Change status, title, destinationUrl, routingRules or attributionWindowDays; live on every process within 1 s',
    tags: ['campaigns'],
    auth: { scope: 'campaigns.write' },
    params: campaignParams,
    body: patchCampaignBody,
    moreBodyProblems: (body, ctx, { pluginHost }) => looseCampaignProblems(body, ctx.params.handle, pluginHost, 'patch'),
    responses: {
      200: { description: 'The updated campaign', schema: campaignResponse },
      422: { description: 'unknown_partner: partnerId names no partner of this handle' },
    },
    async handler(ctx, { campaigns, principal }: Deps) {
      ctx.body = await campaigns.update(ctx.params.handle, ctx.params.campaignId, ctx.request.body as never, principal.actor);
    },
  },
  {
    method: 'DELETE',
    path: '/v2/handles/{handle}/campaigns/{campaignId}',
    summary: 'Archive a campaign (its short link then answers 404; clicks and conversions are kept)',
    tags: ['campaigns'],
    auth: { scope: 'campaigns.write' },
    params: campaignParams,
    responses: { 200: { description: 'The archived campaign', schema: campaignResponse } },
    async handler(ctx, { campaigns, principal }: Deps) {
      ctx.body = await campaigns.archive(ctx.params.handle, ctx.params.campaignId, principal.actor);
    },
  },
]);
