import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { OutboxService } from './service.ts';

export const outboxModule: TenxModule = {
  name: 'outbox',
  register(container) {
    container.register({ outbox: asClass(OutboxService).singleton() });
  },
};
