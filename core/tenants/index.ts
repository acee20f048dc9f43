import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { tenantRoutes } from './routes.ts';
import { TenantService } from './service.ts';
import { HandleSettingsService } from './settings.ts';

export { HANDLE_SETTINGS_CHANGED, type PublicConversions } from './settings.ts';

export const tenantsModule: TenxModule = {
  name: 'tenants',
  register(container) {
    container.register({ tenants: asClass(TenantService).scoped(), handleSettings: asClass(HandleSettingsService).scoped() });
  },
  routes: () => tenantRoutes,
};
