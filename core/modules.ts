import type { TenxModule } from './module.ts';
import { auditModule } from './audit/index.ts';
import { dashboardModule } from './dashboard/index.ts';
import { outboxModule } from './outbox/index.ts';
import { pluginsModule } from './plugins/index.ts';
import { systemModule } from './system/index.ts';
import { tenantsModule } from './tenants/index.ts';

/** Every domain module, in start order (stopped in reverse). */
export const modules: TenxModule[] = [
  systemModule,
  dashboardModule,
  auditModule,
  outboxModule,
  tenantsModule,
  pluginsModule,
];
