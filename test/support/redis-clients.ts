import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { Redis } from '../../core/infra/redis.ts';
import { TEST_REDIS_URL } from './database.ts';

/**
 * Two clients on the test Redis (as two processes would have) for the enclosing describe(), and a key
 * prefix of its own; every key under the prefix is deleted after the block.
 */
export function redisClientPair(name: string): { prefix: string; a: Redis; b: Redis } {
  const pair = { prefix: `tenx-test-${name}-${randomBytes(4).toString('hex')}`, a: null as unknown as Redis, b: null as unknown as Redis };
  before(async () => {
    pair.a = createClient({ url: TEST_REDIS_URL }) as Redis;
    pair.b = createClient({ url: TEST_REDIS_URL }) as Redis;
    await Promise.all([pair.a.connect(), pair.b.connect()]);
  });
  after(async () => {
    const keys = await pair.a.keys(`${pair.prefix}:*`);
    if (keys.length) await pair.a.del(keys);
    await Promise.all([pair.a.quit(), pair.b.quit()]);
  });
  return pair;
}
