import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import { BASE_DATABASE_URL } from '../support/database.ts';
import { freePort } from '../support/net.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { startRedis } from '../support/redis-server.ts';
import { campaign, clickCount, followed, metric, person, storedClicks, trustLocalProxy, waitFor } from '../support/redirect.ts';

const ALPHA = 'https://merchant.example.com/product?ref=alpha';
const BETA = 'https://merchant.example.com/product?ref=beta';
const EMAIL = 'https://merchant.example.com/product?ref=alpha&src=email';

async function handleWith(server: TestServer, ...campaigns: object[]) {
  const h = await createHandle(server);
  for (const c of campaigns) await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send(c).expect(201);
  return h;
}


const destinationOf = async (server: TestServer, path: string) =>
  followed((await server.http.get(path).set(person()).expect(302)).headers.location).destination;

describe('redirect: across processes, offload modes and failures', () => {
  describe('two server processes sharing PostgreSQL and Redis', () => {
    let first: TestServer;
    let second: TestServer;
    before(async () => {
      first = await startTestServer({ env: trustLocalProxy });
      second = await startTestServer({ db: first.db, env: trustLocalProxy });
    });
    after(async () => {
      await second?.close();
      await first?.close();
    });

    it('sees a PATCH made on the other process within 1 second, and a link created there', async () => {
      const { handle, auth } = await handleWith(first, campaign('partner-alpha', 'deal-alpha', ALPHA));
      expect(await destinationOf(second, `/${handle}/deal-alpha`)).to.equal(ALPHA); // warm on both
      expect(await destinationOf(first, `/${handle}/deal-alpha`)).to.equal(ALPHA);
      await second.http.get(`/${handle}/deal-beta`).expect(404); // remembered as unknown on the second

      const changed = Date.now();
      await first.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ destinationUrl: BETA }).expect(200);
      await waitFor('the PATCH on the second process', async () => (await destinationOf(second, `/${handle}/deal-alpha`)) === BETA, 1000);
      expect(Date.now() - changed).to.be.below(1000);

      await first.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(campaign('partner-beta', 'deal-beta', BETA)).expect(201);
      await waitFor('the new link on the second process', async () => (await second.http.get(`/${handle}/deal-beta`).set(person())).status === 302, 1000);
      // The new link's click, made on the second process, is stored like any other (the waits above
      // clicked deal-alpha an unknown number of times: wait for the beta click itself).
      await waitFor('the click on the new link', async () =>
        (await first.sql.query(`select 1 from clicks where handle = $1 and campaign_id = 'partner-beta'`, [handle])).rows.length === 1, 3000);
    });
  });

  describe('REDIRECT_OFFLOAD', () => {
    let server: TestServer;
    afterEach(async () => server?.close());

    it('workers: rule matching and ctx signing run in the piscina pool with the same verified redirects', async () => {
      server = await startTestServer({ env: { ...trustLocalProxy, REDIRECT_OFFLOAD: 'workers' } });
      const rules = [{ priority: 10, destinationUrl: EMAIL, conditions: { sourceIn: ['email'] } }];
      const { handle } = await handleWith(server, campaign('partner-alpha', 'deal-alpha', ALPHA, { routingRules: rules }));
      const before = await metric(server, 'tenx_redirects_total', 'mode="workers"');
      const a = followed((await server.http.get(`/${handle}/deal-alpha?src=email`).set(person()).expect(302)).headers.location);
      const b = followed((await server.http.get(`/${handle}/deal-alpha`).set(person()).expect(302)).headers.location);
      expect(a.destination).to.equal(EMAIL);
      expect(b.destination).to.equal(ALPHA);
      expect(a.claims).to.include({ handle, campaignId: 'partner-alpha' });
      expect(await metric(server, 'tenx_redirects_total', 'mode="workers"')).to.equal(before + 2);
      const rows = await storedClicks(server, handle, 2);
      expect(rows.map((r) => r.click_id).sort()).to.deep.equal([a.claims.clickId, b.claims.clickId].sort());
    });

    it('auto: keeps built-in rule sets inline and moves a link with slow plugin conditions to the workers', async () => {
      server = await startTestServer({ env: { ...trustLocalProxy, REDIRECT_OFFLOAD: 'auto', PLUGINS: './test/fixtures/slow-goal-type/index.ts' } });
      const countries = ['AT', 'BE', 'CH', 'CZ', 'DK', 'ES', 'FI', 'FR', 'GR', 'HU', 'IE', 'IT', 'NL', 'PL', 'PT', 'SE'];
      const heavy = Array.from({ length: 50 }, (_, i) => ({
        priority: i, destinationUrl: `https://m.example.com/${i}`, conditions: { sourceIn: [`s${i}`, `t${i}`], countryIn: countries },
      }));
      const slow = [{ priority: 1, destinationUrl: EMAIL, conditions: { slowSourceIn: ['email'] } }];
      const { handle } = await handleWith(
        server,
        campaign('built-in', 'built-in', ALPHA, { routingRules: heavy }),
        { ...campaign('slow', 'slow', ALPHA, { routingRules: slow }), goalType: 'SLOW_MATCH' },
      );
      const workers = () => metric(server, 'tenx_redirects_total', 'mode="workers"');
      const start = await workers();
      for (let i = 0; i < 160; i++) expect(await destinationOf(server, `/${handle}/built-in`)).to.equal(ALPHA);
      expect(await workers()).to.equal(start);
      for (let i = 0; i < 160; i++) expect(await destinationOf(server, `/${handle}/slow?src=email`)).to.equal(EMAIL);
      expect(await workers()).to.be.greaterThan(start);
    });
  });

  describe('shutdown', () => {
    it('loses no click when the server is closed during a burst: 302s answered = rows stored', async () => {
      const server = await startTestServer({ env: { ...trustLocalProxy, CLICK_FLUSH_MS: '200' } });
      try {
        const { handle } = await handleWith(server, campaign('partner-alpha', 'deal-alpha', ALPHA));
        const url = `${server.url}/${handle}/deal-alpha`;
        const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
        let answered = 0;
        let closedByServer = 0;
        const errors: Record<string, number> = {};
        let stop = false;
        const once = () =>
          new Promise<void>((done) => {
            const req = http.get(url, { agent, headers: person() }, (res) => {
              if (res.statusCode === 302) answered++;
              if (res.headers.connection === 'close') closedByServer++;
              res.resume().on('end', done).on('error', done);
            });
            req.on('error', (err: Error & { code?: string }) => {
              errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
              done();
            });
          });
        const loops = Array.from({ length: 20 }, async () => {
          while (!stop) await once();
        });
        try {
          await waitFor('a burst under way', async () => answered >= 300, 10_000, 5);
          await server.kernel.close(); // what SIGTERM does
        } finally {
          stop = true; // the request loops must end even if the close failed
        }
        await Promise.all(loops);
        agent.destroy();
        expect(answered).to.be.at.least(300);
        expect(await clickCount(server, handle)).to.equal(answered);
        // Keep-alive connections in use were closed with the answer (`Connection: close`), never reset under a
        // request; a new connection after that is refused, which a client can retry elsewhere.
        expect(closedByServer).to.be.at.least(1);
        expect(Object.keys(errors).filter((code) => code !== 'ECONNREFUSED'), JSON.stringify(errors)).to.deep.equal([]);
      } finally {
        await server.close();
      }
    });
  });

  describe('shutdown with a request in flight', () => {
    it('closes its keep-alive connection soon after the answer, not at the last resort 5 s later', async () => {
      const server = await startTestServer();
      let closedInMs = Infinity;
      try {
        const { port } = new URL(server.url);
        // A POST whose body has not arrived yet: in flight (the route waits for it) when the close begins.
        const socket = net.connect(Number(port), '127.0.0.1');
        await new Promise((ok) => socket.once('connect', ok));
        socket.write(`POST /v2/public/conversions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n`);
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk));
        const ended = new Promise((ok) => socket.once('close', ok));
        await new Promise((ok) => setTimeout(ok, 100));
        const started = Date.now();
        const closed = server.kernel.close().then(() => (closedInMs = Date.now() - started));
        await new Promise((ok) => setTimeout(ok, 600)); // past the 300 ms grace: answered on a connection idle afterwards
        socket.write('{}');
        await ended;
        await closed;
        expect(answer).to.match(/^HTTP\/1\.1 4\d\d /);
        expect(closedInMs).to.be.below(2000);
      } finally {
        await server.close();
      }
    });
  });

  describe('dependencies down', () => {
    it('keeps redirecting and storing clicks with Redis unreachable', async () => {
      const server = await startTestServer({ env: { ...trustLocalProxy, REDIS_URL: 'redis://127.0.0.1:6390' } });
      try {
        const { handle, auth } = await handleWith(server, campaign('partner-alpha', 'deal-alpha', ALPHA));
        expect(await destinationOf(server, `/${handle}/deal-alpha`)).to.equal(ALPHA);
        expect(await destinationOf(server, `/${handle}/deal-alpha`)).to.equal(ALPHA);
        await server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ destinationUrl: BETA }).expect(200);
        expect(await destinationOf(server, `/${handle}/deal-alpha`)).to.equal(BETA); // in-process invalidation
        const rows = await storedClicks(server, handle, 3);
        expect(rows.every((r) => r.is_bot === false)).to.equal(true);
      } finally {
        await server.close();
      }
    });

    it('keeps redirecting while Redis goes away, and takes cross-process changes again when it returns', async function () {
      if (spawnSync('redis-server', ['--version']).status !== 0) this.skip(); // needs a redis-server binary to stop and start
      this.timeout(60_000);
      const port = await freePort();
      let redis = await startRedis(port);
      const env = { ...trustLocalProxy, REDIS_URL: `redis://127.0.0.1:${port}` };
      const first = await startTestServer({ env });
      const second = await startTestServer({ db: first.db, env });
      try {
        const { handle, auth } = await handleWith(first, campaign('partner-alpha', 'deal-alpha', ALPHA));
        expect(await destinationOf(second, `/${handle}/deal-alpha`)).to.equal(ALPHA);
        redis.kill('SIGKILL');
        await new Promise((ok) => redis.once('exit', ok));

        for (let i = 0; i < 3; i++) expect(await destinationOf(second, `/${handle}/deal-alpha`)).to.equal(ALPHA);
        await first.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ destinationUrl: BETA }).expect(200);
        expect(await destinationOf(first, `/${handle}/deal-alpha`)).to.equal(BETA); // its own change, in process

        redis = await startRedis(port);
        // The second process missed that invalidation: it revalidates its links once Redis is back.
        await waitFor('the missed change', async () => (await destinationOf(second, `/${handle}/deal-alpha`)) === BETA, 10_000, 100);
        // Both processes back on Redis (the publisher's reconnect backs off up to 2 s; a change it makes before then is
        // sent once it is back: test/integration/bus-reconnect.test.ts); from here a change must arrive within 1 s.
        await waitFor('the bus to reconnect', async () => (await second.http.get('/readyz')).status === 200 && (await first.http.get('/readyz')).status === 200, 10_000, 100);
        const changed = Date.now();
        await first.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ destinationUrl: ALPHA }).expect(200);
        await waitFor('the next change', async () => (await destinationOf(second, `/${handle}/deal-alpha`)) === ALPHA, 1000);
        expect(Date.now() - changed).to.be.below(1000);
        const answered = 1 + 3 + 1;
        expect((await storedClicks(first, handle, answered)).length).to.be.at.least(answered);
      } finally {
        await second.close();
        await first.close();
        redis.kill('SIGKILL');
      }
    });

    // Each set of careless detectors beside the built-in ones (burst answers later too); the second set alone
    // takes the one-promise path, the first the Promise.all path.
    for (const careless of [['answers-nothing', 'answers-nothing-later', 'rejects', 'throws-on-read-later'], ['breaks-then']]) {
      it(`stores every click whatever a bot detector answers (${careless.join(', ')}), and leaves none being judged`, async () => {
        const fixtures = careless.map((n) => `./test/fixtures/careless-detectors/${n}.ts`).join(',');
        const server = await startTestServer({ env: { PLUGINS: fixtures } });
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
          const { handle } = await handleWith(server, campaign('partner-alpha', 'deal-alpha', ALPHA));
          for (let i = 0; i < 5; i++) expect(await destinationOf(server, `/${handle}/deal-alpha`)).to.equal(ALPHA);
          const rows = await storedClicks(server, handle, 5);
          expect(rows.map((r: { is_bot: boolean }) => r.is_bot)).to.deep.equal([false, false, false, false, false]);
          await new Promise((r) => setTimeout(r, 50));
          expect(unhandled).to.deep.equal([]);
          // Shutdown waits for clicks being judged: a count left above 0 would hang it.
          expect(server.kernel.container.resolve<{ inProgress: number }>('clickRecorder').inProgress).to.equal(0);
        } finally {
          process.off('unhandledRejection', onUnhandled);
          await server.close();
        }
      });
    }

    it('waits out a Redis outage without spinning: the BullMQ workers idle while it is gone', async function () {
      if (spawnSync('redis-server', ['--version']).status !== 0) this.skip();
      this.timeout(30_000);
      const port = await freePort();
      let redis = await startRedis(port);
      const server = await startTestServer({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
      try {
        await waitFor('the workers to be ready', async () => (await server.http.get('/readyz')).status === 200, 5000, 100);
        redis.kill('SIGKILL');
        await new Promise((ok) => redis.once('exit', ok));
        await new Promise((r) => setTimeout(r, 500));
        // This process is the server: a worker retrying its fetch without pause shows as ~100 % CPU.
        const cpu = process.cpuUsage();
        const started = performance.now();
        await new Promise((r) => setTimeout(r, 2000));
        const used = process.cpuUsage(cpu);
        const share = (used.user + used.system) / 1000 / (performance.now() - started);
        expect(share, `CPU share while Redis is down: ${share.toFixed(2)}`).to.be.below(0.5);
        redis = await startRedis(port);
        await waitFor('Redis to be back', async () => (await server.http.get('/readyz')).status === 200, 10_000, 100);
      } finally {
        await server.close();
        redis.kill('SIGKILL');
      }
    });

    it('keeps clicks in the buffer while PostgreSQL refuses connections and writes them when it is back', async () => {
      const server = await startTestServer({ env: trustLocalProxy });
      server.sql.on('error', () => {}); // its idle connections are terminated below
      const admin = new pg.Client({ connectionString: BASE_DATABASE_URL });
      await admin.connect();
      const name = server.db.name;
      try {
        const { handle } = await handleWith(server, campaign('partner-alpha', 'deal-alpha', ALPHA));
        await destinationOf(server, `/${handle}/deal-alpha`); // warm: the link now lives in the cache
        await storedClicks(server, handle, 1);
        const failuresBefore = await metric(server, 'tenx_click_flush_failures_total');

        await admin.query(`alter database ${name} allow_connections false`);
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
        for (let i = 0; i < 10; i++) expect(await destinationOf(server, `/${handle}/deal-alpha`)).to.equal(ALPHA);
        await waitFor('a failed flush', async () => (await metric(server, 'tenx_click_flush_failures_total')) > failuresBefore, 3000);
        expect(await metric(server, 'tenx_click_buffer_clicks')).to.be.at.least(10);

        await admin.query(`alter database ${name} allow_connections true`);
        await storedClicks(server, handle, 11, 10_000);
        expect(await clickCount(server, handle)).to.equal(11);
      } finally {
        await admin.query(`alter database ${name} allow_connections true`).catch(() => {});
        await admin.end();
        await server.close();
      }
    });
  });
});
