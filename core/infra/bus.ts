import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { withDeadline } from './deadline.ts';
import type { Redis } from './redis.ts';

type Handler = (message: any) => void;

/** Messages kept while Redis is unreachable (invalidations are small; past this the oldest go). */
const MAX_UNSENT = 10_000;
/** Longest deliver() waits for Redis to acknowledge a PUBLISH. */
const DELIVER_WAIT_MS = 500;

/**
 * Cross-process invalidation and fan-out: Redis pub/sub when configured, else in-process. A
 * publisher's own process is notified at once, without waiting for the Redis echo.
 */
export interface Bus {
  publish(channel: string, message: unknown): void;
  /**
   * As publish, and resolves once every process that Redis handed the message to has run its handlers and said so
   * (an acknowledgement on this process's own channel); at once without Redis or while it is unreachable, at the
   * latest after DELIVER_WAIT_MS (a process that does not acknowledge, e.g. an older version during an upgrade);
   * never rejects but for a local handler that throws. A process whose subscriber is down hears onResume instead.
   * For a change that must hold on every process once its request is answered (a revoked token): await this before
   * answering. (Redis's answer to the PUBLISH alone was not enough: a process could read the next request before
   * the message, 1 in ~400 follow-ups in a whole-suite run.)
   */
  deliver(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, handler: Handler): () => void;
  /** False while cross-process messages cannot arrive: the subscriber connection is down or a channel is not yet subscribed. */
  readonly receiving: boolean;
  /**
   * Calls `handler` each time the subscriber connection is ready again with every channel subscribed: a message
   * published while it was down never arrives (Redis keeps none), so revalidate what such a message would have
   * invalidated. Never called without Redis. Returns the unsubscribe.
   */
  onResume(handler: () => void): () => void;
  close(): Promise<void>;
}

export async function createBus(redis: Redis | null, prefix: string, log: Logger): Promise<Bus> {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const origin = randomUUID();
  let subscriber: Redis | null = null;
  const subscribed = new Set<string>();

  const pending = new Set<string>();
  const inFlight = new Set<string>(); // subscribes sent, not yet acknowledged
  const resumeHandlers = new Set<() => void>();
  const listen = (channel: string): Promise<void> => {
    pending.delete(channel);
    inFlight.add(channel);
    return subscriber!.subscribe(`${prefix}:${channel}`, (raw) => onRemote(raw, channel)).then(
      () => {
        inFlight.delete(channel);
      },
      (err) => {
        inFlight.delete(channel);
        pending.add(channel);
        log.warn({ err: err.message, channel }, 'bus subscribe failed; retrying when Redis is back');
      },
    );
  };
  if (redis) {
    subscriber = redis.duplicate() as Redis;
    subscriber.on('error', () => {}); // the main client already reports reachability
    // A subscribe made while Redis was unreachable failed: make it again once the connection is up. The client has
    // already resubscribed the others before 'ready' (node-redis acknowledges them first); once these are too, a
    // message published from here on arrives, and what was published before may not have: resume.
    subscriber.on('ready', () => {
      void Promise.all([...pending].map(listen)).then(() => {
        for (const handler of resumeHandlers) {
          try {
            handler();
          } catch (err) {
            log.warn({ err }, 'bus resume handler failed'); // the others still revalidate
          }
        }
      });
    });
    const connecting = subscriber.connect();
    connecting.catch(() => {});
    if (redis.isReady) await Promise.race([connecting, new Promise((ok) => setTimeout(ok, 2000).unref())]);
  }
  // deliver()'s acknowledgements: each process answers a message carrying an id (`a`) on its sender's own channel,
  // once its handlers have run; the sender counts them against the receivers Redis reported.
  const ackChannel = (sender: string) => `${prefix}:bus-ack:${sender}`;
  const awaiting = new Map<string, { acks: number; receivers: number; done: () => void }>();
  const onAck = (id: string) => {
    const wait = awaiting.get(id);
    if (wait && ++wait.acks >= wait.receivers) wait.done();
  };
  if (subscriber) subscriber.subscribe(ackChannel(origin), onAck).catch(() => {}); // without it, deliver() waits its deadline
  const onRemote = (raw: string, channel: string) => {
    try {
      const { o, m, a } = JSON.parse(raw);
      // Its own process ran the handlers when it sent the message; it acknowledges the echo all the same (Redis counted it).
      if (o !== origin) local.emit(channel, m);
      if (typeof a === 'string' && typeof o === 'string' && redis?.isReady) redis.publish(ackChannel(o), a).catch(() => {});
    } catch (err) {
      log.warn({ channel, err }, 'bad bus message');
    }
  };
  // Published while the connection was down: sent once it is back (the oldest dropped past the cap), so a change
  // made then still reaches the other processes, whose own reconnect revalidation has already run.
  const unsent: Array<[string, string]> = [];
  const keep = (channel: string, payload: string) => {
    if (unsent.push([channel, payload]) > MAX_UNSENT) unsent.shift();
  };
  redis?.on('ready', () => {
    for (const [channel, payload] of unsent.splice(0)) redis.publish(channel, payload).catch(() => keep(channel, payload));
  });
  /**
   * Notifies this process at once (synchronously: a handler that throws throws to the caller, as an EventEmitter's
   * does), then sends the message to Redis; the promise settles when Redis has answered and never rejects.
   */
  const send = (channel: string, message: unknown, ack?: string): Promise<number> => {
    local.emit(channel, message);
    if (!redis) return Promise.resolve(0);
    const [name, payload] = [`${prefix}:${channel}`, JSON.stringify({ o: origin, m: message, ...(ack && { a: ack }) })];
    if (!redis.isReady) {
      keep(name, payload);
      return Promise.resolve(0);
    }
    return redis.publish(name, payload).then(
      (receivers) => Number(receivers) || 0,
      () => (keep(name, payload), 0),
    );
  };
  /**
   * Sends with an acknowledgement id and resolves when every receiver has acknowledged (none: at once), at the latest
   * after DELIVER_WAIT_MS (withDeadline, as the wait for Redis's answer was). A local handler that throws throws here.
   */
  const sendAcknowledged = async (channel: string, message: unknown): Promise<void> => {
    const id = randomUUID();
    const wait = { acks: 0, receivers: Infinity, done: () => {} };
    const acknowledged = new Promise<void>((resolve) => (wait.done = resolve));
    // Registered before the PUBLISH: an acknowledgement may be read before Redis's answer to it.
    awaiting.set(id, wait);
    try {
      void send(channel, message, id).then((receivers) => {
        wait.receivers = receivers;
        if (wait.acks >= receivers) wait.done();
      });
      await withDeadline(acknowledged, DELIVER_WAIT_MS).catch(() => {});
    } finally {
      awaiting.delete(id);
    }
  };
  return {
    get receiving() {
      return !subscriber || (subscriber.isReady && pending.size === 0 && inFlight.size === 0);
    },
    publish(channel, message) {
      void send(channel, message);
    },
    async deliver(channel, message) {
      // Past the wait the message is still sent; only the answer stops waiting for it.
      await sendAcknowledged(channel, message);
    },
    onResume(handler) {
      resumeHandlers.add(handler);
      return () => resumeHandlers.delete(handler);
    },
    subscribe(channel, handler) {
      local.on(channel, handler);
      if (subscriber && !subscribed.has(channel)) {
        subscribed.add(channel);
        void listen(channel);
      }
      return () => local.off(channel, handler);
    },
    async close() {
      local.removeAllListeners();
      resumeHandlers.clear();
      for (const wait of awaiting.values()) wait.done();
      // quit() never settles while Redis is unreachable; destroy() drops the reconnect loop.
      if (subscriber) await (subscriber.isReady ? subscriber.quit() : subscriber.destroy());
    },
  };
}
