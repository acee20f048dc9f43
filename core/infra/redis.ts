import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';

export type Redis = RedisClientType;

/**
 * Connects to Redis when REDIS_URL is set. Commands fail fast while it is unreachable (no offline
 * queue), so callers fall back to in-process state instead of hanging the hot path.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis | null> {
  if (!url) return null;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
  }) as Redis;
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
