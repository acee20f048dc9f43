// Drains the transactional outbox: each event becomes one delivery row per matching subscription,
// in the same transaction that marks the event dispatched, so an event is fanned out exactly once.
import { v7 as uuidv7 } from 'uuid';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { parseExactJson } from '../db/numeric.ts';
import { withTransaction } from '../db/transaction.ts';
import type { OutboxService } from '../outbox/index.ts';
import { insertDeliveries, type Due, type NewDelivery } from './delivery-store.ts';
import { webhookDeliveriesCreated } from './metrics.ts';
import { postbackFacts, postbackUrl } from './postback-fanout.ts';
import { authorityIsLiteral } from './postback-macros.ts';

export const DISPATCH_BATCH = 500;
const POLL_MS = 1000;
// Dispatched events are kept a while for debugging, then purged (the deliveries hold their bodies).
const PURGE_EVERY_MS = 10 * 60_000;
const RETAIN_DISPATCHED = '7 days';

interface EventRow { event_id: string; handle: string; type: string; payload: Record<string, unknown>; created_at: Date }
/** A webhook, or a partner's postback (partner_id set; endpoint_url is its URL template). */
interface SubscriptionRow { webhook_id: string; handle: string; event_types: string[]; partner_id: string | null; endpoint_url: string }

/** The body every channel sends; stored once so every retry sends the same bytes. */
export function deliveryBody(deliveryId: string, type: string, createdAt: Date, handle: string, data: Record<string, unknown>): string {
  return JSON.stringify({ id: deliveryId, type, createdAt: createdAt.toISOString(), handle, data });
}

export class OutboxDispatcher {
  private draining: Promise<void> | null = null;
  private again = false;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private lastPurge = 0;
  private stopped = false;

  private readonly deps: { pg: Pool; log: Logger; outbox: OutboxService };
  private readonly onDeliveries: (due: Due[]) => void;
  constructor(
    deps: { pg: Pool; log: Logger; outbox: OutboxService },
    onDeliveries: (due: Due[]) => void,
  ) {
    this.deps = deps;
    this.onDeliveries = onDeliveries;
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.deps.outbox.onWake(() => this.kick());
    // The poll covers wakes lost between processes and events written by processes without a bus.
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Drains now, or once more after the drain in progress (wakes arriving meanwhile coalesce). */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        void this.kick();
      }
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while ((await this.dispatchBatch()) === DISPATCH_BATCH);
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        await this.deps.pg.query(`delete from outbox_events where dispatched_at < now() - interval '${RETAIN_DISPATCHED}'`);
      }
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'outbox dispatch failed; retrying on the next poll');
    }
  }

  /** One transaction: lock a batch of undispatched events (others skip them), fan out, mark. */
  private async dispatchBatch(): Promise<number> {
    let due: Due[] = [];
    const count = await withTransaction(this.deps.pg, async (client) => {
      // The payload as text: a payout's amount past a double's digits reaches the body exact (db/numeric.ts).
      const { rows } = await client.query<Omit<EventRow, 'payload'> & { payload: string }>(
        `select event_id, handle, type, payload::text as payload, created_at from outbox_events
          where dispatched_at is null order by created_at limit $1 for update skip locked`,
        [DISPATCH_BATCH],
      );
      if (rows.length === 0) return 0;
      const events: EventRow[] = rows.map((e) => ({ ...e, payload: parseExactJson(e.payload) as Record<string, unknown> }));
      const handles = [...new Set(events.map((e) => e.handle))];
      const { rows: subs } = await client.query<SubscriptionRow>(
        'select webhook_id, handle, event_types, partner_id, endpoint_url from webhooks where handle = any($1::text[])',
        [handles],
      );
      const byHandle = new Map<string, SubscriptionRow[]>();
      for (const s of subs) {
        // A postback template stored before its host had to be literal never lets an event's values pick the receiver.
        if (s.partner_id !== null && !authorityIsLiteral(s.endpoint_url)) continue;
        byHandle.set(s.handle, [...(byHandle.get(s.handle) ?? []), s]);
      }
      const postbackHandles = new Set(subs.filter((s) => s.partner_id !== null).map((s) => s.handle));
      const facts = await postbackFacts(client, events.filter((e) => postbackHandles.has(e.handle)));
      const fresh: NewDelivery[] = [];
      for (const e of events) {
        for (const s of byHandle.get(e.handle) ?? []) {
          if (!s.event_types.includes(e.type)) continue;
          // A postback fires only for its own partner's events.
          const fact = s.partner_id === null ? undefined : facts.get(e.event_id);
          if (s.partner_id !== null && fact?.partnerId !== s.partner_id) continue;
          const deliveryId = uuidv7();
          fresh.push({
            deliveryId, webhookId: s.webhook_id, handle: e.handle, eventId: e.event_id, eventType: e.type,
            body: deliveryBody(deliveryId, e.type, e.created_at, e.handle, fact ? fact.payload : e.payload), eventCreatedAt: e.created_at,
            url: fact ? postbackUrl(s.endpoint_url, fact) : null,
          });
        }
      }
      due = await insertDeliveries(client, fresh);
      await client.query('update outbox_events set dispatched_at = now() where event_id = any($1::uuid[])', [events.map((e) => e.event_id)]);
      return events.length;
    });
    // Scheduled only after commit: a crash before this leaves pending rows the recovery sweep finds.
    if (due.length) {
      webhookDeliveriesCreated.inc(due.length);
      this.onDeliveries(due);
    }
    return count;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    while (this.draining) await this.draining;
  }
}
