import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { OutboxService } from './service.ts';

// What other modules use: the event types and the service that writes events in the caller's transaction.
export { EVENT_TYPES, type EventType, type OutboxEvent, type OutboxService } from './service.ts';
// Statements that emit in the same statement as their change write the row with this fragment.
export { outboxInsertSql, type OutboxRowSql } from './sql.ts';

export const outboxModule: TenxModule = {
  name: 'outbox',
  register(container) {
    container.register({ outbox: asClass(OutboxService).singleton() });
  },
};
