// BullMQ runs tenx's queues only when Redis is configured (REDIS_URL). Without it (embedded mode,
// or one process on PostgreSQL alone) timers in the process do the same work, and BullMQ with its
// ~200 modules (cron-parser, luxon, msgpackr, its Lua scripts) is never loaded: embedded mode's
// RSS budget (`npm run bench -- embedded`, < 300 MB) has no room for code it never runs.
import type * as BullMQ from 'bullmq';
import type { Redis } from './redis.ts';

let loading: Promise<typeof BullMQ> | null = null;

/** The bullmq package, imported on first call (by a queue starting on Redis). */
export const loadBullmq = (): Promise<typeof BullMQ> => (loading ??= import('bullmq'));

type Connection = ReturnType<typeof BullMQ.createNodeRedisClient>;
const connections = new WeakMap<Redis, Connection>();

/**
 * BullMQ's view of one of the kernel's node-redis clients, made once per client and shared by every queue and worker
 * on it. Each adapter hashes and `SCRIPT LOAD`s BullMQ's 64 Lua scripts (~400 KB) as it is made: with one per queue
 * and per worker, six jobs sent 5 MB to Redis at every start. A queue or worker given an instance leaves it open on
 * close (the kernel closes its clients), and a worker's blocking connection is a duplicate of its own.
 */
export async function bullmqConnection(redis: Redis): Promise<Connection> {
  const { createNodeRedisClient } = await loadBullmq();
  let connection = connections.get(redis);
  if (!connection) connections.set(redis, (connection = createNodeRedisClient(redis)));
  return connection;
}
