import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pino from 'pino';
import { createBus, type Bus } from '../../core/infra/bus.ts';
import { connectRedis, type Redis } from '../../core/infra/redis.ts';
import { TEST_REDIS_URL } from '../support/database.ts';
import { waitFor } from '../support/redirect.ts';

// deliver(): a change that must hold everywhere once its request is answered waits until every process that Redis
// handed it to has run its handlers and acknowledged. Redis's answer to the PUBLISH alone let the other process read
// the next request first, now and then (settings-across-processes.test.ts failed once in a whole-suite run).
describe('bus: deliver() waits for every receiving process to acknowledge', function () {
  this.timeout(20_000);
  const log = pino({ level: 'silent' });
  const prefix = `tenx-test-bus-ack-${randomBytes(4).toString('hex')}`;
  const clients: Redis[] = [];
  const buses: Bus[] = [];

  const processOf = async () => {
    const client = (await connectRedis(TEST_REDIS_URL, log))!;
    clients.push(client);
    const bus = await createBus(client, prefix, log);
    buses.push(bus);
    const got: unknown[] = [];
    bus.subscribe('links', (m) => got.push(m));
    await waitFor('the bus to subscribe', async () => bus.receiving, 5000, 20);
    return { bus, got };
  };

  after(async () => {
    for (const bus of buses) await bus.close();
    for (const client of clients) await client.quit();
  });

  it("resolves once the other processes' handlers have run: each of 200 deliveries is there when it resolves", async () => {
    const a = await processOf();
    const b = await processOf();
    const c = await processOf();
    for (let i = 0; i < 200; i++) {
      await a.bus.deliver('links', { i });
      // Read synchronously after the answer, as a request sent after it would be: nothing in between.
      expect([b.got.length, c.got.length], `delivery ${i}`).to.deep.equal([i + 1, i + 1]);
    }
  });

  it('waits at most its deadline for a receiver that never acknowledges (an older process), then goes on', async () => {
    const a = await processOf();
    const main = (await connectRedis(TEST_REDIS_URL, log))!;
    const silent = main.duplicate() as Redis;
    await silent.connect();
    clients.push(main, silent);
    await silent.subscribe(`${prefix}:links`, () => {});
    const started = performance.now();
    await a.bus.deliver('links', { from: 'a' });
    const ms = performance.now() - started;
    expect(ms).to.be.within(400, 3000);
  });
});
