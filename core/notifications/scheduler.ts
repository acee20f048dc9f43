// How deliveries get attempted on time: BullMQ on Redis, or timers in this process (embedded mode).
import type { Due } from './delivery-store.ts';

export interface DeliveryScheduler {
  readonly kind: 'bullmq' | 'local';
  /** Arranges one attempt of each delivery at its dueAt; repeating an enqueue is harmless. */
  enqueue(items: Due[]): Promise<void>;
  start(): Promise<void> | void;
  /** Starts no more attempts (the server's sends were cut: it is stopping); stop() follows. */
  pause(): void;
  /** Stops taking new attempts and waits for the ones in flight. */
  stop(): Promise<void>;
}
