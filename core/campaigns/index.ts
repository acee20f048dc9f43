import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { campaignRoutes } from './routes.ts';
import { CampaignService } from './service.ts';

export const campaignsModule: TenxModule = {
  name: 'campaigns',
  register(container) {
    // Singleton: the redirect's link loader uses it too; callers pass the audit actor explicitly.
    container.register({ campaigns: asClass(CampaignService).singleton() });
  },
  routes: () => campaignRoutes,
};
