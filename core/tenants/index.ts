import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { tenantRoutes } from './routes.ts';
import { TenantService } from './service.ts';

export const tenantsModule: TenxModule = {
  name: 'tenants',
  register(container) {
    container.register({ tenants: asClass(TenantService).scoped() });
  },
  routes: () => tenantRoutes,
};
