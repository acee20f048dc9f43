import type { RedisClientType } from 'redis';
import type { Logger } from 'pino';

export type Redis = RedisClientType;

/**
 * The kernel's client options. node-redis builds a client class (every command a method, ~60 ms of CPU) per distinct
 * options, serialised with JSON (so the reconnect function does not count), and keeps only the last one: a process that
 * makes clients with other options in turn (the tests' key sweep after each server) rebuilt it at every start. Another
 * client of this process takes these options, with its own reconnect rule, to share the class.
 */
export function redisOptions(url: string, reconnectStrategy: (retries: number) => number | false) {
  return { url, disableOfflineQueue: true, socket: { connectTimeout: 2000, reconnectStrategy } };
}

/**
 * Connects to Redis when REDIS_URL is set. Commands fail fast while it is unreachable (no offline
 * queue), so callers fall back to in-process state instead of hanging the hot path. Without
 * REDIS_URL (embedded mode) the redis package is never loaded: ~500 modules, ~10 MB of RSS.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis | null> {
  if (!url) return null;
  const { createClient } = await import('redis');
  const client = createClient(redisOptions(url, (retries) => Math.min(50 * 2 ** retries, 2000))) as Redis;
  let warned = false;
  client.on('error', (err: Error) => {
    if (!warned) log.warn({ err: err.message }, 'redis unreachable; using in-process fallbacks until it returns');
    warned = true;
  });
  client.on('ready', () => {
    if (warned) log.info('redis reachable again');
    warned = false;
  });
  // An unreachable Redis must not block the start: the client keeps reconnecting in the background.
  const connecting = client.connect();
  connecting.catch(() => {});
  await Promise.race([connecting, new Promise((ok) => setTimeout(ok, 2000).unref())]);
  return client;
}

/**
 * A second connection for BullMQ workers, with the offline queue on. The kernel's client fails
 * commands at once while Redis is unreachable (the hot path falls back instead of waiting), but a
 * worker's fetch loop retries a failed fetch immediately unless the error is one it knows as a
 * connection error, and node-redis's ClientOfflineError is not: with the shared client a worker
 * spun at full CPU until Redis returned. On this client its commands wait for the reconnect.
 */
export function workerConnection(redis: Redis): Redis {
  const client = redis.duplicate({ disableOfflineQueue: false }) as Redis;
  client.on('error', () => {}); // the kernel's client already reports Redis going away
  client.connect().catch(() => {});
  return client;
}
