import { TenantEntity, AccessTokenEntity } from '../tenants/entities.ts';
import { CampaignEntity } from '../campaigns/entities.ts';
import { PartnerEntity, PartnerTokenEntity } from '../partners/entities.ts';

/** Every MikroORM entity; raw-SQL tables (clicks, rollups, outbox) are reached through em.execute. */
export const entities = [TenantEntity, AccessTokenEntity, CampaignEntity, PartnerEntity, PartnerTokenEntity];
