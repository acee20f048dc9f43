import type { TenxModule } from './module.ts';
import { analyticsModule } from './analytics/index.ts';
import { auditModule } from './audit/index.ts';
import { campaignsModule } from './campaigns/index.ts';
import { commissionsModule } from './commissions/index.ts';
import { conversionsModule } from './conversions/index.ts';
import { dashboardModule } from './dashboard/index.ts';
import { notificationsModule } from './notifications/index.ts';
import { outboxModule } from './outbox/index.ts';
import { payoutsModule } from './payouts/index.ts';
import { pluginsModule } from './plugins/index.ts';
import { redirectModule } from './redirect/index.ts';
import { sdkModule } from './sdk/index.ts';
import { systemModule } from './system/index.ts';
import { tenantsModule } from './tenants/index.ts';

/** Every domain module, in start order (stopped in reverse). */
export const modules: TenxModule[] = [
  systemModule,
  dashboardModule,
  sdkModule,
  auditModule,
  outboxModule,
  tenantsModule,
  pluginsModule,
  campaignsModule,
  conversionsModule,
  analyticsModule,
  commissionsModule,
  payoutsModule,
  notificationsModule,
  // Last: its catch-all GET /{handle}/{slug} route must not shadow any other two-segment route.
  redirectModule,
];
