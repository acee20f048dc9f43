import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pino from 'pino';
import { createBus, type Bus } from '../../core/infra/bus.ts';
import { connectRedis, type Redis } from '../../core/infra/redis.ts';
import { TEST_REDIS_URL } from '../support/database.ts';
import { waitFor } from '../support/redirect.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

// The cross-process bus when Redis goes away. Each of two "processes" reaches the shared Redis through a proxy of its
// own, so the test decides which one gets back first (each client's own reconnect backs off up to 2 s, so a real
// restart leaves that to chance). Redis keeps no pub/sub message for a subscriber that is not there: a change published
// during the outage reaches a process that is back before the publisher, and one that comes back later is told to
// revalidate (onResume) after the message was sent. Either way it sees the change.
describe('bus: publishing while Redis is away', function () {
  this.timeout(30_000);
  const log = pino({ level: 'silent' });
  const target = new URL(TEST_REDIS_URL);
  type Side = { proxy: TcpProxy; client: Redis; bus: Bus; got: unknown[]; events: string[] };
  let prefix: string;
  let sides: Side[] = [];

  const side = async (o: { failingResumeHandler?: boolean } = {}): Promise<Side> => {
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const client = (await connectRedis(proxy.urlFor(TEST_REDIS_URL), log))!;
    const bus = await createBus(client, prefix, log);
    const s: Side = { proxy, client, bus, got: [], events: [] };
    if (o.failingResumeHandler) {
      bus.onResume(() => {
        throw new Error('a resume handler that fails');
      });
    }
    bus.subscribe('links', (m) => {
      s.got.push(m);
      s.events.push(`got ${JSON.stringify(m)}`);
    });
    bus.onResume(() => s.events.push('resumed'));
    await waitFor('the bus to subscribe', async () => bus.receiving, 5000, 20);
    sides.push(s);
    return s;
  };
  const outage = async (...all: Side[]) => {
    for (const s of all) await s.proxy.cut();
    await waitFor('both to see Redis gone', async () => all.every((s) => !s.client.isReady && !s.bus.receiving), 5000, 20);
    for (const s of all) s.events.length = 0;
  };
  // Commands on one connection are answered in order: once this one is, what the bus sent on 'ready' has reached Redis.
  const flushed = async (s: Side) => {
    await waitFor('the publisher to reconnect', async () => s.client.isReady, 10_000, 20);
    await s.client.ping();
  };

  beforeEach(() => {
    prefix = `tenx-test-bus-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    for (const s of sides) {
      await s.bus.close();
      await (s.client.isReady ? s.client.quit() : s.client.destroy());
      await s.proxy.close();
    }
    sides = [];
  });

  it('a process back before the publisher receives what was published during the outage', async () => {
    const [publisher, receiver] = [await side(), await side()];
    publisher.bus.publish('links', { n: 1 });
    await waitFor('the first message', async () => receiver.got.length === 1, 2000, 20);

    await outage(publisher, receiver);
    publisher.bus.publish('links', { n: 2 }); // its own process hears it at once; the others only through Redis
    expect(publisher.got).to.deep.equal([{ n: 1 }, { n: 2 }]);

    await receiver.proxy.restore();
    await waitFor('the receiver to resubscribe', async () => receiver.bus.receiving, 10_000, 20);
    await publisher.proxy.restore();
    await waitFor('the message published during the outage', async () => receiver.got.length === 2, 10_000, 20);
    expect(receiver.got).to.deep.equal([{ n: 1 }, { n: 2 }]);
    expect(receiver.events).to.deep.equal(['resumed', 'got {"n":2}']);
    expect(publisher.got, 'a process does not hear its own message twice').to.have.length(2);
  });

  it('a process back after the publisher sent it is told to resume, then receives what follows', async () => {
    // The receiver's first resume handler throws: the ones after it still run.
    const [publisher, receiver] = [await side(), await side({ failingResumeHandler: true })];
    await outage(publisher, receiver);
    publisher.bus.publish('links', { n: 2 });

    await publisher.proxy.restore();
    await flushed(publisher); // sent, to nobody
    expect(receiver.events).to.deep.equal([]);
    await receiver.proxy.restore();
    await waitFor('the receiver to resume', async () => receiver.events.includes('resumed'), 10_000, 20);
    expect(receiver.bus.receiving, 'resumed only once every channel is subscribed again').to.equal(true);

    publisher.bus.publish('links', { n: 3 });
    await waitFor('the next message', async () => receiver.got.some((m) => (m as { n: number }).n === 3), 2000, 20);
    expect(receiver.events).to.deep.equal(['resumed', 'got {"n":3}']);
  });

  it('is never told to resume without Redis', async () => {
    const bus = await createBus(null, 'unit', log);
    let resumed = 0;
    bus.onResume(() => resumed++);
    bus.publish('links', { n: 1 });
    await bus.close();
    expect(resumed).to.equal(0);
  });
});
