import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { startTestServer, type TestServer } from '../support/server.ts';

// A review: a start that failed after the modules had started (the port taken) closed them with the redirect
// module's stop() throwing (it read a shutdown deadline only close() registers), so the click buffer and the
// redirector's worker pool were never closed; the log said 'error while closing'.
describe('a start that fails after the modules started closes every one of them', () => {
  let first: TestServer;
  before(async () => {
    first = await startTestServer({ redis: false });
  });
  after(async () => first?.close());

  it('answers EADDRINUSE, and closing what it started logs no error', async () => {
    const logs: Array<{ level: number; msg?: string; err?: { message?: string } }> = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
    const port = new URL(first.url).port;
    let failed: Error | undefined;
    try {
      const second = await startTestServer({ db: first.db, redis: false, env: { PORT: port }, log: pino({ level: 'warn' }, sink) });
      await second.close();
    } catch (err) {
      failed = err as Error;
    }
    expect(failed?.message).to.match(/EADDRINUSE/);
    expect(logs.filter((l) => l.msg === 'error while closing').map((l) => l.err?.message)).to.deep.equal([]);
  });
});
