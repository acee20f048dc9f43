// Live funnel over Server-Sent Events: one watcher per handle per process, shared by its clients.
import type { ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { rateLimited, unavailable } from '../http/errors.ts';
import type { Bus } from '../infra/bus.ts';
import { Slots } from '../infra/slots.ts';
import { withoutCommission, type Funnel, type FunnelRow } from './funnel.ts';
import { shareClaims, shareRefusal } from './shares.ts';
import { liveAccessTokenHashesSql } from '../tenants/index.ts';

/** Bus channel writers publish on after commit: `{ handle, campaignIds? }` (no ids = all campaigns). */
export const ANALYTICS_CHANGED = 'analytics.changed';
export const PUSH_INTERVAL_MS = 1000;
/** A client that cannot take this much queued output is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface StreamClient {
  campaignId?: string;
  /** A partner's stream (the realm, or the handle's partnerId filter): its pushes are loaded for that partner alone. */
  partnerId?: string;
  /** The PAT or partner token the stream was opened with (none for the operator's admin token): its place under the caps. */
  tokenId?: string;
  /** SHA-256 of the secret it was opened with: re-checked every poll, so revoking or rotating the token ends the stream. */
  tokenHash?: string;
  /** A handle token without commissions.read: its rows go out without partners' commissions. */
  hideCommission: boolean;
  /**
   * A partner's stream: each campaign's row as last sent. Only a row that changed goes out again, so a
   * campaign handed to another partner, whose traffic now marks it changed, tells the former holder nothing.
   */
  sent?: Map<string, string>;
  res: ServerResponse;
  /** When its last `funnel` frame (the snapshot, or a push) went out: the next waits a second from there. */
  lastFunnelAt: number;
  /** Changed campaigns not sent yet because its last frame was under a second old ('all': every campaign). */
  owed?: Set<string> | 'all';
  heartbeat: NodeJS.Timeout;
  /** Gives back the client's place under the per-token and per-handle caps. */
  release: () => void;
}

/** How many streams a process keeps open per token (ANALYTICS_SSE_MAX_PER_TOKEN) and per handle. */
export interface StreamCaps {
  perToken: number;
  perHandle: number;
}

/** What the hub needs from the analytics service: all-time funnel rows for some campaigns (of one partner). */
export type FunnelLoader = (handle: string, campaignIds: string[] | null, partnerId?: string) => Promise<Funnel>;

/** The campaigns a push owes a client: what changed and what an earlier push held back from it (null: all of them). */
function idsFor(changed: Set<string> | null, client: StreamClient): Set<string> | null {
  if (changed === null || client.owed === 'all') return null;
  return client.owed ? new Set([...changed, ...client.owed]) : changed;
}

function frame(event: string, data: unknown): string {
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

class HandleWatch {
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

/** Every open analytics stream of this process; closed on client disconnect and on shutdown. */
export class AnalyticsStreams {
  readonly log: Logger;
  /** The primary: token checks (a revoked token must end its streams now, not after a replica's lag). */
  readonly pg: Pool;
  /** The read pool (DATABASE_READ_URL when set): change polls. */
  readonly pgRead: Pool;
  readonly loadFunnel: FunnelLoader;
  readonly pollMs: number;
  private readonly watches = new Map<string, HandleWatch>();
  private readonly places = new Slots();
  private unsubscribe: (() => void) | null = null;
  private shutdownCheck: NodeJS.Timeout | null = null;
  private closed = false;

  private readonly deps: { pg: Pool; pgRead: Pool; bus: Bus; log: Logger; heartbeatMs: number; pollMs: number; loadFunnel: FunnelLoader; caps: StreamCaps };
  constructor(
    deps: { pg: Pool; pgRead: Pool; bus: Bus; log: Logger; heartbeatMs: number; pollMs: number; loadFunnel: FunnelLoader; caps: StreamCaps },
  ) {
    this.deps = deps;
    this.pollMs = deps.pollMs;
    this.log = deps.log;
    this.pg = deps.pg;
    this.pgRead = deps.pgRead;
    this.loadFunnel = deps.loadFunnel;
  }

  start() {
    const unsubscribe = this.deps.bus.subscribe(ANALYTICS_CHANGED, (m: { handle?: unknown; campaignIds?: unknown }) => {
      if (typeof m?.handle !== 'string') return;
      const ids = Array.isArray(m.campaignIds) ? m.campaignIds.filter((x): x is string => typeof x === 'string') : undefined;
      this.watches.get(m.handle)?.markDirty(ids);
    });
    // Changes announced while the bus was down never arrived: push every stream now rather than at its next poll.
    const stopResuming = this.deps.bus.onResume(() => {
      for (const watch of this.watches.values()) watch.markDirty(undefined);
    });
    this.unsubscribe = () => {
      unsubscribe();
      stopResuming();
    };
    // The kernel closes the HTTP server before stopping modules; a closing server ends its streams.
    this.shutdownCheck = setInterval(() => this.closeIfServerClosing(), 250);
    this.shutdownCheck.unref();
  }

  clientCount(): number {
    let n = 0;
    for (const w of this.watches.values()) n += w.clients.size;
    return n;
  }

  /**
   * Takes over the response: the change baseline first, then a full snapshot, then pushes until
   * either side closes. Throws (before any byte is written) if the snapshot cannot be loaded, or
   * 429 when the token or the handle already holds its share of this process's streams.
   */
  async open(handle: string, scope: { campaignId?: string; partnerId?: string }, res: ServerResponse, token?: { id: string; hash: string }, realm = false, hideCommission = false) {
    const tokenId = token?.id;
    const { campaignId, partnerId } = scope;
    if (this.closed) throw unavailable('The server is shutting down.');
    const { perToken, perHandle } = this.deps.caps;
    // The operator's admin token has no id: its streams share one place under the token cap. A partner's own
    // streams (the realm) are a part of the handle's share (shares.ts): it never locks out the managers or another partner.
    const shares = shareClaims(handle, perHandle, realm ? partnerId : undefined);
    const place = this.places.take([[`token:${tokenId ?? 'admin'}`, perToken], ...shares]);
    if ('full' in place) {
      throw rateLimited(place.full.startsWith('token:')
        ? `This token already holds ${perToken} open analytics streams; close one first.`
        : shareRefusal(place.full, shares, 'stream'), 10);
    }
    let watch = this.watches.get(handle);
    if (!watch) this.watches.set(handle, (watch = new HandleWatch(handle, this)));
    const client: StreamClient = {
      campaignId, partnerId, tokenId, tokenHash: token?.hash, hideCommission, res, release: place.release,
      // Not sent its snapshot yet: a push meanwhile is owed to it (its snapshot may have been read before the change).
      lastFunnelAt: Number.POSITIVE_INFINITY,
      heartbeat: setInterval(() => this.send(client, ': heartbeat\n\n'), this.deps.heartbeatMs),
    };
    client.heartbeat.unref();
    watch.clients.add(client);
    res.once('close', () => this.detach(handle, client));
    let snapshot: Funnel;
    try {
      await watch.ready;
      snapshot = await this.loadFunnel(handle, campaignId ? [campaignId] : null, partnerId);
      if (this.closed) throw unavailable('The server is shutting down.');
    } catch (err) {
      this.detach(handle, client);
      throw err;
    }
    if (partnerId) client.sent = new Map(snapshot.data.map((r) => [r.campaignId, JSON.stringify(r)]));
    res.socket?.setTimeout(0);
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // proxies must not buffer the stream
    });
    this.send(client, `retry: 3000\n\n${frame('funnel', hideCommission ? withoutCommission(snapshot) : snapshot)}`);
    client.lastFunnelAt = Date.now();
  }

  /** Writes to the client's stream; false when it is not open (yet, or any more). */
  send(client: StreamClient, text: string): boolean {
    if (!client.res.headersSent || client.res.writableEnded || client.res.destroyed) return false;
    if (client.res.writableLength > MAX_BUFFERED_BYTES) {
      client.res.destroy();
      return false;
    }
    client.res.write(text);
    return true;
  }

  private detach(handle: string, client: StreamClient) {
    clearInterval(client.heartbeat);
    client.release();
    const watch = this.watches.get(handle);
    if (!watch) return;
    watch.clients.delete(client);
    if (!watch.clients.size) {
      watch.stop();
      this.watches.delete(handle);
    }
  }

  /** Ends one stream with a `close` event naming the reason. */
  end(client: StreamClient, reason: string) {
    if (!client.res.headersSent || client.res.writableEnded) return;
    this.send(client, frame('close', { reason }));
    // End the response, then the keep-alive connection too, so a closing server is not kept waiting.
    const socket = client.res.socket; // detached from the response once it finishes
    client.res.end(() => socket?.end());
  }

  private closeIfServerClosing() {
    for (const watch of this.watches.values()) {
      for (const client of watch.clients) {
        const server = (client.res.socket as { server?: Server } | null)?.server;
        if (server && !server.listening) this.end(client, 'server shutting down');
      }
    }
  }

  /** Module stop: end every stream with a `close` event and stop all timers. */
  stop() {
    this.closed = true;
    this.unsubscribe?.();
    if (this.shutdownCheck) clearInterval(this.shutdownCheck);
    for (const watch of [...this.watches.values()]) for (const client of [...watch.clients]) this.end(client, 'server shutting down');
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }
}
