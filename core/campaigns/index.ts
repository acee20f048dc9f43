import { asClass } from 'awilix';
import { CampaignEntity } from './entities.ts';
import type { TenxModule } from '../module.ts';
import { campaignRoutes } from './routes.ts';
import { CampaignService } from './service.ts';

// What other modules use: campaigns as the redirect serves them, and the change events it listens to.
export { CAMPAIGNS_CHANGED, type CampaignChange, type CampaignService } from './service.ts';
export type { Campaign, CampaignStatus } from './entities.ts';
export { canonicalRules, redirectableUrl } from './destination.ts';
export { SLUG_PATTERN, STATUSES } from './schemas.ts';
// Who held a campaign when (analytics, click commissions).
export { clickHeldBySql, HANDOVER_LOCKS, HANDOVER_LOCKS_SHARED_SQL, handoverBucket, handoverLocksShared, partnerAtSql } from './partner-history.ts';

export const campaignsModule: TenxModule = {
  name: 'campaigns',
  entities: [CampaignEntity],
  register(container) {
    // Singleton: the redirect's link loader uses it too; callers pass the audit actor explicitly.
    container.register({ campaigns: asClass(CampaignService).singleton() });
  },
  routes: () => campaignRoutes,
};
