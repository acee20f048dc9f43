import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { auditRoutes } from './routes.ts';
import { AuditService } from './service.ts';

// What other modules use: the service that records events (pass the transaction's client).
export type { AuditInput, AuditService } from './service.ts';
// Statements that audit in the same statement as their change write the row with this fragment.
export { auditInsertSql, type AuditRowSql } from './sql.ts';

export const auditModule: TenxModule = {
  name: 'audit',
  register(container) {
    container.register({ audit: asClass(AuditService).singleton() });
  },
  routes: () => auditRoutes,
};
