import { expect } from 'chai';
import pino from 'pino';
import { freePort } from '../support/net.ts';
import { startTestServer } from '../support/server.ts';

// Black-box pass: with REDIS_URL unreachable, each daily job's BullMQ queue and worker logged every failed
// reconnect, about 11 warn lines a second in all (40,000 an hour of outage). Like a plugin failing on every
// click, each now logs once a minute, with how many were left out (`suppressed`).
describe('Redis unreachable: the daily jobs do not flood the log', function () {
  this.timeout(30_000);

  it('logs each daily job queue and worker error at most once a minute', async () => {
    const lines: Array<{ msg: string; queue?: string }> = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const server = await startTestServer({ log, env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
    try {
      await new Promise((ok) => setTimeout(ok, 4_000));
    } finally {
      await server.close();
    }
    const jobErrors = lines.filter((l) => /^daily job (queue|worker) error$/.test(l.msg));
    expect(jobErrors.length, 'the jobs do report Redis away').to.be.greaterThan(0);
    const perSource = new Map<string, number>();
    for (const l of jobErrors) perSource.set(`${l.queue} ${l.msg}`, (perSource.get(`${l.queue} ${l.msg}`) ?? 0) + 1);
    for (const [source, n] of perSource) expect(n, source).to.equal(1);
  });
});
