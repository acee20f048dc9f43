// Which event types each handle's subscriptions want, kept in memory for outbox.wants(): the click
// flusher asks it per click batch, so it must answer without a database round trip.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Bus } from '../infra/bus.ts';
import type { EventType } from '../outbox/index.ts';

const CHANNEL = 'webhooks.changed';
// A bus message lost during a Redis blip is healed by this full reload.
const FULL_RELOAD_MS = 60_000;

export class SubscriptionInterest {
  private byHandle = new Map<string, Set<string>>();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopResuming?: () => void;
  /**
   * Reads are numbered as they start; each handle keeps the number of the read its interest came from, and an older
   * read never replaces a newer one. A full reload (the minute's, or the bus resuming) that began before a change
   * committed could otherwise answer after that change's own reload and put back the interest from before it: a
   * just-subscribed event type unwanted (its events not written to the outbox at all) until the next full reload.
   */
  private reads = 0;
  private fullRead = 0;
  private readonly readOf = new Map<string, number>();

  private readonly deps: { pg: Pool; bus: Bus; log: Logger };
  constructor(deps: { pg: Pool; bus: Bus; log: Logger }) {
    this.deps = deps;
  }

  wants = (handle: string, type: EventType): boolean => this.byHandle.get(handle)?.has(type) ?? false;

  async start(): Promise<void> {
    await this.reloadAll();
    this.unsubscribe = this.deps.bus.subscribe(CHANNEL, (msg: { handle: string }) => {
      this.reload(msg.handle).catch((err) => this.deps.log.warn({ err: err.message }, 'webhook interest reload failed'));
    });
    // Changes announced while the bus was down never arrived: reload them all now rather than within the minute.
    this.stopResuming = this.deps.bus.onResume(() => {
      this.reloadAll().catch((err) => this.deps.log.warn({ err: err.message }, 'webhook interest reload failed'));
    });
    this.timer = setInterval(() => {
      this.reloadAll().catch((err) => this.deps.log.warn({ err: err.message }, 'webhook interest reload failed'));
    }, FULL_RELOAD_MS);
    this.timer.unref();
  }

  /** After a subscription change: this process is current when it resolves, others within the bus latency. */
  async changed(handle: string): Promise<void> {
    await this.reload(handle);
    await this.deps.bus.deliver(CHANNEL, { handle });
  }

  private async reload(handle: string): Promise<void> {
    const read = ++this.reads;
    const { rows } = await this.deps.pg.query<{ t: string }>(
      'select distinct unnest(event_types) as t from webhooks where handle = $1',
      [handle],
    );
    if (read < Math.max(this.fullRead, this.readOf.get(handle) ?? 0)) return; // a newer read has answered already
    this.readOf.set(handle, read);
    if (rows.length) this.byHandle.set(handle, new Set(rows.map((r) => r.t)));
    else this.byHandle.delete(handle);
  }

  private async reloadAll(): Promise<void> {
    const read = ++this.reads;
    const { rows } = await this.deps.pg.query<{ handle: string; types: string[] }>(
      'select handle, array_agg(distinct t) as types from webhooks, unnest(event_types) t group by handle',
    );
    if (read < this.fullRead) return;
    const next = new Map(rows.map((r) => [r.handle, new Set(r.types)]));
    for (const [handle, newer] of this.readOf) {
      if (newer < read) {
        this.readOf.delete(handle); // this read is newer: fullRead covers it from now on
        continue;
      }
      const kept = this.byHandle.get(handle);
      if (kept) next.set(handle, kept);
      else next.delete(handle);
    }
    this.fullRead = read;
    this.byHandle = next;
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.stopResuming?.();
  }
}
