import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { untilAborted } from '../../core/infra/deadline.ts';
import { createJsonPoster } from '../../core/notifications/http-delivery.ts';

const log = { info() {}, warn() {} };

/** Takes requests and answers none until closed. */
async function silent() {
  const server = http.createServer(() => {});
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => (server.closeAllConnections(), server.close()) };
}

// A stopping server cuts its sends (core/kernel.ts close → JsonPoster.interrupt): only those are `interrupted`.
describe('JsonPoster.interrupt: what a stopping server cuts', () => {
  const send = (url: string, timeoutMs: number) => ({ url, body: '{}', headers: {}, timeoutMs, allowPrivate: true, allowedPorts: undefined, log });

  it('cuts a send in flight and refuses new ones, both as interrupted', async () => {
    const endpoint = await silent();
    const poster = createJsonPoster();
    try {
      const inFlight = poster.post(send(endpoint.url, 10_000));
      setTimeout(() => poster.interrupt(), 100);
      const started = performance.now();
      expect(await inFlight).to.include({ ok: false, error: 'interrupted' });
      expect(performance.now() - started).to.be.below(2000);
      expect(poster.interrupted).to.equal(true);
      expect(await poster.post(send(endpoint.url, 10_000))).to.deep.equal({ ok: false, latencyMs: 0, error: 'interrupted' });
    } finally {
      endpoint.close();
      await poster.close();
    }
  });

  it('untilAborted: the promise, or the abort reason once the signal aborts, for work that takes no signal (a lookup, a plugin send)', async () => {
    const stop = new AbortController();
    const never = new Promise<string>(() => {});
    const cut = untilAborted(never, stop.signal);
    stop.abort();
    const reason = await cut.catch((err: unknown) => err);
    expect(reason).to.equal(stop.signal.reason);
    expect(await untilAborted(Promise.resolve('done'), new AbortController().signal)).to.equal('done');
    // Already aborted: work still pending is given up at once.
    await untilAborted(new Promise(() => {}), stop.signal).then(() => expect.fail('an aborted signal rejects at once'), (err: unknown) => expect(err).to.equal(stop.signal.reason));
  });

  it('untilAborted with a grace: work that settles within it after the abort keeps its own outcome; a late failure is never unhandled', async () => {
    const stop = new AbortController();
    const soon = untilAborted(new Promise<string>((ok) => stop.signal.addEventListener('abort', () => setTimeout(() => ok('answered'), 30))), stop.signal, 200);
    stop.abort();
    expect(await soon).to.equal('answered');
    const silent = untilAborted(new Promise<string>(() => {}), stop.signal, 50);
    expect(await silent.catch((err: unknown) => err)).to.equal(stop.signal.reason);
    // Already aborted, and the work fails later (a channel's own deadline): no unhandled rejection (Node 24 exits on one).
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await untilAborted(new Promise((_, fail) => setTimeout(() => fail(new Error('channel did not answer in time')), 10)), stop.signal).catch(() => {});
      await new Promise((ok) => setTimeout(ok, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).to.deep.equal([]);
  });
});
