import { EntitySchema } from '@mikro-orm/core';

export type PartnerStatus = 'ACTIVE' | 'SUSPENDED';

export interface Partner {
  handle: string;
  partnerId: string;
  name: string;
  email: string | null;
  status: PartnerStatus;
  /** numeric(14, 2), read as a string: money never passes through a float on its way in. */
  minimumPayout: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface PartnerToken {
  tokenId: string;
  handle: string;
  partnerId: string;
  name: string;
  scopes: string[];
  tokenHash: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export const PartnerEntity = new EntitySchema<Partner>({
  name: 'Partner',
  tableName: 'partners',
  properties: {
    handle: { type: 'string', primary: true },
    partnerId: { type: 'string', primary: true },
    name: { type: 'string' },
    email: { type: 'string', nullable: true },
    status: { type: 'string' },
    minimumPayout: { type: 'decimal', precision: 14, scale: 2 },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

export const PartnerTokenEntity = new EntitySchema<PartnerToken>({
  name: 'PartnerToken',
  tableName: 'partner_tokens',
  properties: {
    tokenId: { type: 'uuid', primary: true },
    handle: { type: 'string' },
    partnerId: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string[]' },
    tokenHash: { type: 'string', hidden: true },
    expiresAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});
