import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { auditRoutes } from './routes.ts';
import { AuditService } from './service.ts';

// What other modules use: the service that records events (pass the transaction's client).
export type { AuditInput, AuditService } from './service.ts';

export const auditModule: TenxModule = {
  name: 'audit',
  register(container) {
    container.register({ audit: asClass(AuditService).singleton() });
  },
  routes: () => auditRoutes,
};
