import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import pino from 'pino';
import { createBus } from '../../core/infra/bus.ts';
import { connectRedis } from '../../core/infra/redis.ts';
import { freePort } from '../support/net.ts';
import { waitFor } from '../support/redirect.ts';
import { startRedis } from '../support/redis-server.ts';

// The cross-process bus on a real Redis that goes away: a change published while the publisher's connection is down
// must still reach the other processes once it is back (their own reconnect revalidation has run before it).
describe('bus: publishing while Redis is away', () => {
  it('sends what was published during the outage once the connection is back', async function () {
    if (spawnSync('redis-server', ['--version']).status !== 0) this.skip(); // needs a redis-server binary to stop and start
    this.timeout(30_000);
    const port = await freePort();
    let redis = await startRedis(port);
    const log = pino({ level: 'silent' });
    const url = `redis://127.0.0.1:${port}`;
    const [pubClient, subClient] = [await connectRedis(url, log), await connectRedis(url, log)];
    const [publisher, receiver] = [await createBus(pubClient, 'bus-test', log), await createBus(subClient, 'bus-test', log)];
    const got: unknown[] = [];
    receiver.subscribe('links', (m) => got.push(m));
    const mine: unknown[] = [];
    publisher.subscribe('links', (m) => mine.push(m));
    try {
      await waitFor('the receiver subscribed', async () => receiver.receiving, 5000, 20);
      publisher.publish('links', { n: 1 });
      await waitFor('the first message', async () => got.length === 1, 2000, 20);

      redis.kill('SIGKILL');
      await new Promise((ok) => redis.once('exit', ok));
      await waitFor('the publisher to see Redis gone', async () => !pubClient!.isReady, 5000, 20);
      publisher.publish('links', { n: 2 }); // its own process hears it at once; the others only through Redis
      expect(mine).to.deep.equal([{ n: 1 }, { n: 2 }]);

      redis = await startRedis(port);
      await waitFor('the message published during the outage', async () => got.length === 2, 10_000, 50);
      expect(got).to.deep.equal([{ n: 1 }, { n: 2 }]);
    } finally {
      await publisher.close();
      await receiver.close();
      for (const c of [pubClient, subClient]) await (c!.isReady ? c!.quit() : c!.destroy());
      redis.kill('SIGKILL');
    }
  });
});
