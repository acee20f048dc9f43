// Live funnel over Server-Sent Events: the process's streams, their caps and their lifecycle; one watch per handle
// per process (handle-watch.ts), shared by its clients, notices changes and pushes them.
import type { ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { rateLimited, unavailable } from '../http/errors.ts';
import type { Bus } from '../infra/bus.ts';
import { Slots } from '../infra/slots.ts';
import { withoutCommission, type Funnel } from './funnel.ts';
import { frame, HandleWatch } from './handle-watch.ts';
import { shareClaims, shareRefusal } from './shares.ts';

/** Bus channel writers publish on after commit: `{ handle, campaignIds? }` (no ids = all campaigns). */
export const ANALYTICS_CHANGED = 'analytics.changed';
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
