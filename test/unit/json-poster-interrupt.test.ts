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
    await untilAborted(Promise.resolve('late'), stop.signal).then(() => expect.fail('an aborted signal rejects at once'), (err: unknown) => expect(err).to.equal(stop.signal.reason));
  });
});
