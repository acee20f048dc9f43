import { EntitySchema } from '@mikro-orm/core';

export interface RoutingRule {
  priority: number;
  destinationUrl: string;
  conditions: Record<string, unknown>;
}

export type CampaignStatus = 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'ARCHIVED';

export interface Campaign {
  handle: string;
  campaignId: string;
  goalType: string;
  status: CampaignStatus;
  trackingPreset: string;
  conversionEvent: string;
  slug: string;
  destinationUrl: string;
  linkTitle: string | null;
  routingRules: RoutingRule[];
  attributionWindowDays: number;
  maxConversionValue: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export const CampaignEntity = new EntitySchema<Campaign>({
  name: 'Campaign',
  tableName: 'campaigns',
  properties: {
    handle: { type: 'string', primary: true },
    campaignId: { type: 'string', primary: true },
    goalType: { type: 'string' },
    status: { type: 'string' },
    trackingPreset: { type: 'string' },
    conversionEvent: { type: 'string' },
    slug: { type: 'string' },
    destinationUrl: { type: 'string' },
    linkTitle: { type: 'string', nullable: true },
    routingRules: { type: 'json' },
    attributionWindowDays: { type: 'integer' },
    maxConversionValue: { type: 'decimal', precision: 14, scale: 2, nullable: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
