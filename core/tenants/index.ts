import { asClass } from 'awilix';
import { AccessTokenEntity, TenantEntity } from './entities.ts';
import type { TenxModule } from '../module.ts';
import { tenantRoutes } from './routes.ts';
import { TenantService } from './service.ts';
import { HandleSettingsService } from './settings.ts';

export { HANDLE_SETTINGS_CHANGED, type PublicConversions } from './settings.ts';
export { TOKEN_CHANGED } from './service.ts';
export { liveAccessTokenByHashSql, liveAccessTokenHashesSql } from './token-sql.ts';
export { childExpiry, expiryProblems, requestedExpiry } from './token-rules.ts';
export { loadGrantor } from './grantor.ts';

export const tenantsModule: TenxModule = {
  name: 'tenants',
  entities: [TenantEntity, AccessTokenEntity],
  register(container) {
    container.register({ tenants: asClass(TenantService).scoped(), handleSettings: asClass(HandleSettingsService).scoped() });
  },
  routes: () => tenantRoutes,
};
