import { asClass } from 'awilix';
import { PartnerEntity, PartnerTokenEntity } from './entities.ts';
import type { TenxModule } from '../module.ts';
import { postbackRoutes } from './postback-routes.ts';
import { realmRoutes } from './realm-routes.ts';
import { PartnerRealm } from './realm.ts';
import { partnerRoutes } from './routes.ts';
import { PartnerService } from './service.ts';

export { PARTNER_GROUP_BY, type PartnerGroupBy } from './schemas.ts';

export const partnersModule: TenxModule = {
  name: 'partners',
  entities: [PartnerEntity, PartnerTokenEntity],
  register(container) {
    container.register({
      partners: asClass(PartnerService).scoped(),
      partnerRealm: asClass(PartnerRealm).scoped(),
    });
  },
  routes: () => [...partnerRoutes, ...realmRoutes, ...postbackRoutes],
};
