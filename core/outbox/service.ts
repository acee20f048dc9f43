import { uuidv7 } from '../infra/uuid7.ts';
import type { Pool, PoolClient } from 'pg';
import type { Bus } from '../infra/bus.ts';

export const EVENT_TYPES = [
  'link.clicked', 'conversion.tested', 'conversion.deduped', 'campaign.updated', 'webhook.ping',
  'commission.created', 'commission.updated', 'conversion.reversed', 'payout.created', 'payout.paid', 'payout.canceled', 'payout.amended', 'partner.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboxEvent {
  handle: string;
  type: EventType;
  data: Record<string, unknown>;
}

/** Answers whether any subscription of a handle wants an event type (the notifications module decides). */
export type InterestProvider = (handle: string, type: EventType) => boolean;

const WAKE = 'outbox.wake';

/**
 * The transactional outbox: a domain change writes its events with the same client, inside its own
 * transaction, so an event exists exactly when the change committed. The dispatcher (notifications
 * module) drains it; `wake()` after commit just makes that prompt.
 */
export class OutboxService {
  private interest: InterestProvider = () => false;

  private readonly deps: { pg: Pool; bus: Bus };
  constructor(deps: { pg: Pool; bus: Bus }) {
    this.deps = deps;
  }

  /** Writes events inside the caller's transaction. Returns their ids. */
  async emit(client: PoolClient | Pool, events: OutboxEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const ids = events.map(() => uuidv7());
    await client.query(
      `insert into outbox_events (event_id, handle, type, payload)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])`,
      [ids, events.map((e) => e.handle), events.map((e) => e.type), events.map((e) => JSON.stringify(e.data))],
    );
    return ids;
  }

  /** Cheap pre-check for high-volume events (link.clicked): skip writing what nobody subscribed to. */
  wants(handle: string, type: EventType): boolean {
    return this.interest(handle, type);
  }

  setInterestProvider(provider: InterestProvider): void {
    this.interest = provider;
  }

  /** Call after the emitting transaction committed. */
  wake(): void {
    this.deps.bus.publish(WAKE, 1);
  }

  /** Also called when the bus is back: a wake published while it was down never arrived. */
  onWake(handler: () => void): () => void {
    const unsubscribe = this.deps.bus.subscribe(WAKE, handler);
    const stopResuming = this.deps.bus.onResume(handler);
    return () => {
      unsubscribe();
      stopResuming();
    };
  }
}
