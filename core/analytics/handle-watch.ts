// One handle's live watch, shared by that handle's streams in this process: it notices changes (the bus, or a poll
// of the totals for writers that publish nothing) and pushes each stream the rows it is owed, at most once a second.
import { withoutCommission, type FunnelRow } from './funnel.ts';
import type { AnalyticsStreams, StreamClient } from './stream.ts';
import { liveAccessTokenHashesSql } from '../tenants/index.ts';

export const PUSH_INTERVAL_MS = 1000;

/** The campaigns a push owes a client: what changed and what an earlier push held back from it (null: all of them). */
function idsFor(changed: Set<string> | null, client: StreamClient): Set<string> | null {
  if (changed === null || client.owed === 'all') return null;
  return client.owed ? new Set([...changed, ...client.owed]) : changed;
}

export function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The rows a client has not been sent as they are now (all of them for a handle's own stream); remembers them as sent. */
function unsent(client: StreamClient, rows: FunnelRow[]): FunnelRow[] {
  const { sent } = client;
  if (!sent) return rows;
  return rows.filter((r) => {
    const json = JSON.stringify(r);
    if (sent.get(r.campaignId) === json) return false;
    sent.set(r.campaignId, json);
    return true;
  });
}

export class HandleWatch {
  readonly clients = new Set<StreamClient>();
  private dirty = new Set<string>();
  private dirtyAll = false;
  private fingerprints: Map<string, string> | null = null;
  private lastPushAt = 0;
  /** The last push held a client back for its own second: the next may come early, as soon as that client may have it. */
  private heldBack = false;
  private pushTimer: NodeJS.Timeout | null = null;
  private pushing = false;
  private polling = false;
  private stopped = false;
  private readonly pollTimer: NodeJS.Timeout;
  /** Resolves once the first poll has recorded what "unchanged" looks like. */
  readonly ready: Promise<void>;

  readonly handle: string;
  private readonly hub: AnalyticsStreams;
  constructor(
    handle: string,
    hub: AnalyticsStreams,
  ) {
    this.handle = handle;
    this.hub = hub;
    this.pollTimer = setInterval(() => void this.poll(), hub.pollMs);
    this.pollTimer.unref();
    this.ready = this.poll();
  }

  markDirty(campaignIds: string[] | undefined) {
    if (!campaignIds?.length) this.dirtyAll = true;
    else for (const id of campaignIds) this.dirty.add(id);
    this.schedule();
  }

  /**
   * At most one push per second (and one early push for a client held back, dueAt), counted from when the last push
   * went out (its rows load between the timer and the send, for a time that varies: counted from the timer, two sends
   * came 791-964 ms apart).
   */
  private schedule() {
    if (this.pushTimer || this.pushing || this.stopped) return;
    const wait = Math.max(0, this.dueAt() - Date.now());
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      void this.push();
    }, wait);
  }

  /**
   * A second after the last push; or, when that push held a client back because its own last frame (its snapshot,
   * say) was under a second old, as soon as that client may have one. Waiting the push's whole second instead, a
   * change written just after a snapshot reached the client 2,000 ms later, the bound API.md gives for freshness.
   * Only a push on time holds back for an early one, so a handle's watch loads at most twice a second.
   */
  private dueAt(): number {
    let due = this.lastPushAt + PUSH_INTERVAL_MS;
    if (this.heldBack) for (const client of this.clients) if (client.owed) due = Math.min(due, client.lastFunnelAt + PUSH_INTERVAL_MS);
    return due;
  }

  private owing(): boolean {
    for (const client of this.clients) if (client.owed) return true;
    return false;
  }

  private async push() {
    if (!this.dirtyAll && !this.dirty.size && !this.owing()) return;
    // libuv's loop clock can lag Date.now(): a timer may fire a few ms before the second is up.
    if (Date.now() < this.dueAt()) return this.schedule();
    const early = Date.now() < this.lastPushAt + PUSH_INTERVAL_MS;
    this.heldBack = false;
    const changed = this.dirtyAll ? null : new Set(this.dirty);
    this.dirty.clear();
    this.dirtyAll = false;
    this.pushing = true;
    try {
      // One load per partner watching (and one for the handle's own streams): a partner's rows are
      // selected for it by the query, never picked out of everyone's.
      const audiences = new Map<string | undefined, StreamClient[]>();
      for (const client of this.clients) audiences.set(client.partnerId, [...(audiences.get(client.partnerId) ?? []), client]);
      for (const [partnerId, clients] of audiences) {
        const wants = clients.map((client) => ({ client, ids: idsFor(changed, client) }));
        const all = wants.some((w) => w.ids === null);
        const ids = all ? null : [...new Set(wants.flatMap((w) => [...w.ids!]))];
        if (ids?.length === 0) continue;
        const { data } = await this.hub.loadFunnel(this.handle, ids, partnerId);
        for (const { client, ids: mine } of wants) {
          client.owed = undefined;
          if (mine?.size === 0) continue;
          // Its snapshot (or a push of another load) went out under a second ago: these rows wait for the next push.
          if (Date.now() < client.lastFunnelAt + PUSH_INTERVAL_MS) {
            client.owed = mine ?? 'all';
            if (!early) this.heldBack = true;
            continue;
          }
          const rows = unsent(client, data.filter((r: FunnelRow) => (!mine || mine.has(r.campaignId)) && (!client.campaignId || r.campaignId === client.campaignId)));
          if (rows.length && this.hub.send(client, frame('funnel', client.hideCommission ? withoutCommission({ data: rows }) : { data: rows }))) {
            client.lastFunnelAt = Date.now();
          }
        }
      }
    } catch (err) {
      this.hub.log.warn({ err, handle: this.handle }, 'analytics stream push failed');
    } finally {
      this.pushing = false;
      this.lastPushAt = Date.now();
      if (this.dirtyAll || this.dirty.size || this.owing()) this.schedule();
    }
  }

  /** Fallback when writers publish nothing: compare each campaign's all-time totals with the previous look. */
  private async poll() {
    if (this.polling || this.stopped) return; // a slow database must not pile up polls
    this.polling = true;
    try {
      const { rows } = await this.hub.pgRead.query({
        name: 'analytics-stream-poll',
        text: `select campaign_id, string_agg(f, ',' order by f) as f from (
                 select campaign_id, concat_ws(':', clicks, qualified_clicks) as f from funnel_click_totals where handle = $1
                 union all
                 select campaign_id, concat_ws(':', currency, conversions, verified_conversions, value) from funnel_conversion_totals where handle = $1
               ) s group by campaign_id`,
        values: [this.handle],
      });
      const next = new Map<string, string>(rows.map((r) => [r.campaign_id, r.f]));
      const prev = this.fingerprints;
      this.fingerprints = next;
      if (!prev) return;
      const changed = [...next].filter(([id, f]) => prev.get(id) !== f).map(([id]) => id);
      if (changed.length) this.markDirty(changed);
    } catch (err) {
      this.hub.log.warn({ err, handle: this.handle }, 'analytics stream poll failed');
    } finally {
      this.polling = false;
    }
    await this.checkTokens();
  }

  /**
   * A stream lasts only as long as the secret it was opened with: revoked, expired or rotated away
   * (rotation keeps the token id, so the check is by hash) since the stream opened ends it.
   */
  private async checkTokens() {
    const hashes = [...new Set([...this.clients].map((c) => c.tokenHash).filter((h): h is string => h !== undefined))];
    if (!hashes.length || this.stopped) return;
    try {
      const { rows } = await this.hub.pg.query<{ token_hash: string }>({
        name: 'analytics-stream-tokens',
        // partner_tokens is the partners module's, but partners builds on analytics: importing it would cycle.
        text: `${liveAccessTokenHashesSql('$1::text[]')}
               union all
               select token_hash from partner_tokens
                where token_hash = any($1::text[]) and revoked_at is null and (expires_at is null or expires_at > now())`,
        values: [hashes],
      });
      const live = new Set(rows.map((r) => r.token_hash));
      for (const client of [...this.clients]) {
        if (client.tokenHash !== undefined && !live.has(client.tokenHash)) this.hub.end(client, 'token revoked or expired');
      }
    } catch (err) {
      this.hub.log.warn({ err, handle: this.handle }, 'analytics stream token check failed; streams kept until the next poll');
    }
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pollTimer);
    if (this.pushTimer) clearTimeout(this.pushTimer);
  }
}
