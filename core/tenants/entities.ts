import { EntitySchema } from '@mikro-orm/core';
import type { PublicConversions } from './settings.ts';

export interface Tenant {
  handle: string;
  name: string;
  reportingCurrency: string;
  publicConversions: PublicConversions;
  createdAt: Date;
}

export interface AccessToken {
  tokenId: string;
  handle: string;
  name: string;
  scopes: string[];
  /** The handle's one owner token (created with the handle; rotated, never revoked). */
  isOwner: boolean;
  tokenHash: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export const TenantEntity = new EntitySchema<Tenant>({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    handle: { type: 'string', primary: true },
    name: { type: 'string' },
    reportingCurrency: { type: 'string', length: 3 },
    publicConversions: { type: 'string' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});

export const AccessTokenEntity = new EntitySchema<AccessToken>({
  name: 'AccessToken',
  tableName: 'access_tokens',
  properties: {
    tokenId: { type: 'uuid', primary: true },
    handle: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string[]' },
    isOwner: { type: 'boolean', fieldName: 'is_owner', default: false },
    tokenHash: { type: 'string', hidden: true },
    expiresAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});
