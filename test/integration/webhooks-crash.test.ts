import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../support/database.ts';
import { eventually, startReceiver, verify, type Receiver } from '../support/webhooks.ts';
import { dropRedisKeys } from '../support/database.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN = 'crash-admin-token-0123456789abcdefghijkl';

/** The real server as a separate process (`tenx serve`), so it can be killed with SIGKILL. */
interface Child { proc: ChildProcess; url: string; exited: Promise<void> }

async function serve(env: Record<string, string>, log: string[]): Promise<Child> {
  const proc = spawn(process.execPath, ['scripts/tenx.ts', 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
  const url = await new Promise<string>((ok, fail) => {
    // A server that never says it serves is killed, not left running after the test (it would hold its database).
    const timer = setTimeout(() => (proc.kill('SIGKILL'), fail(new Error(`server did not start:\n${log.join('').slice(-2000)}`))), 30_000);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const m = /tenx is serving on (http:\/\/\S+:\d+)/.exec(log.join(''));
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    // The banner is on stderr (stdout is the JSON log stream).
    proc.stdout!.on('data', (c: Buffer) => log.push(c.toString()));
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => fail(new Error(`server exited with ${code}:\n${log.join('').slice(-2000)}`)));
  });
  return { proc, url, exited };
}

async function killHard(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}

async function api(url: string, path: string, token: string, body?: unknown) {
  const res = await fetch(url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Events as a domain transaction writes them; the server's dispatcher polls (no wake crosses processes here). */
async function emitEvents(sql: pg.Pool, handle: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuidv7());
  await sql.query(
    `insert into outbox_events (event_id, handle, type, payload) select id, $2, 'conversion.tested', jsonb_build_object('n', ord)
       from unnest($1::uuid[]) with ordinality as t(id, ord)`,
    [ids, handle],
  );
  return ids;
}

for (const mode of [{ name: 'BullMQ on Redis', redis: true }, { name: 'in process, no Redis', redis: false }]) {
  describe(`no lost webhook: kill -9 while deliveries are pending or mid-backoff (${mode.name})`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let sql: pg.Pool;
    let receiver: Receiver;
    let dataDir: string;
    const children: Child[] = [];
    const log: string[] = [];

    before(async () => {
      db = await createTestDatabase();
      sql = new pg.Pool({ connectionString: db.url, max: 2 });
      sql.on('error', () => {}); // see test/support/server.ts: the forced drop may hit a closing client
      // Each delivery fails twice at the receiver, then succeeds: every one spends time in backoff.
      receiver = await startReceiver(({ n }) => (n < 2 ? 503 : 200));
      dataDir = mkdtempSync(join(tmpdir(), 'tenx-crash-'));
    });
    after(async () => {
      for (const c of children) if (c.proc.exitCode === null) await killHard(c);
      await receiver?.close();
      await sql?.end();
      if (mode.redis && db) await dropRedisKeys(`tenx-test-${db.name}:`);
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('completes every delivery after restarts, with the same webhook-id, and never logs a secret', async () => {
      const env = {
        PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, REDIS_URL: mode.redis ? TEST_REDIS_URL : '',
        REDIS_PREFIX: `tenx-test-${db.name}`, ADMIN_TOKEN: ADMIN, DATA_DIR: dataDir, LOG_LEVEL: 'debug',
        CTX_SECRETS: 'test-ctx-secret-key-aaaaaaaaaaaaaaaaaaaaaaaa', SECRET_KEY: 'crash-test-secret-box-key',
        WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '500', WEBHOOK_TIMEOUT_MS: '1000', PUBLIC_RATE_LIMIT: '0',
        // One process, the one SIGKILL hits (a cluster's workers would drain gracefully when their primary dies).
        WORKERS: '1',
      };
      let server = await serve(env, log);
      children.push(server);
      const tenant = await api(server.url, '/v2/handles', ADMIN, { handle: `crash-${mode.redis ? 'r' : 'l'}`, name: 'Crash test' });
      const hook = await api(server.url, `/v2/handles/${tenant.handle}/webhooks`, tenant.ownerToken, { endpointUrl: receiver.url, eventTypes: ['conversion.tested'] });
      const rotated = await api(server.url, `/v2/handles/${tenant.handle}/webhooks/${hook.webhookId}/rotate-secret`, tenant.ownerToken, {});
      const secrets: string[] = [hook.secret, rotated.secret];
      await api(server.url, `/v2/handles/${tenant.handle}/webhooks`, tenant.ownerToken);

      // Crash 1: first attempts made, deliveries in backoff, later events not yet dispatched.
      const events = await emitEvents(sql, tenant.handle, 20);
      await receiver.waitFor((r) => r.length >= 10, 15_000, 'first attempts');
      await killHard(server);
      const openAtCrash1 = (await sql.query(`select count(*)::int as n from deliveries where status in ('pending', 'retrying')`)).rows[0].n;
      events.push(...(await emitEvents(sql, tenant.handle, 20))); // written while no server runs

      // Crash 2: right after restart, while recovered deliveries and the new events are in flight.
      server = await serve(env, log);
      children.push(server);
      const seen = receiver.received.length;
      await receiver.waitFor((r) => r.length >= seen + 10, 15_000, 'attempts after the first restart');
      await killHard(server);
      const openAtCrash2 = (await sql.query(`select count(*)::int as n from deliveries where status in ('pending', 'retrying')`)).rows[0].n;

      server = await serve(env, log);
      children.push(server);
      const rows = await eventually(async () => {
        const { rows } = await sql.query(`select delivery_id, event_id, status, attempt_count from deliveries`);
        return rows.length === events.length && rows.every((r) => r.status === 'succeeded') && rows;
      }, 60_000, 'every delivery to succeed');
      await killHard(server);

      expect(openAtCrash1 + openAtCrash2, 'the kills hit deliveries still open').to.be.greaterThan(0);
      expect(new Set(rows.map((r) => r.event_id))).to.deep.equal(new Set(events));
      const { rows: undispatched } = await sql.query('select 1 from outbox_events where dispatched_at is null');
      expect(undispatched).to.have.length(0);
      for (const d of rows) {
        const sends = receiver.byId(d.delivery_id);
        expect(sends.filter((s) => s.status === 200).length, `successful sends of ${d.delivery_id}`).to.be.within(1, 2);
        // A send the crash cut off before it was recorded is the only kind that may repeat.
        expect(sends.length - d.attempt_count, `unrecorded sends of ${d.delivery_id}`).to.be.within(0, 2);
        expect(new Set(sends.map((s) => s.body)).size, 'same bytes on every send').to.equal(1);
        for (const s of sends) {
          expect(JSON.parse(s.body).id).to.equal(d.delivery_id);
          verify(secrets[1], s);
          verify(secrets[0], s);
        }
      }
      const ids = new Set(receiver.received.map((r) => r.id));
      expect(ids).to.deep.equal(new Set(rows.map((r) => r.delivery_id)));

      const output = log.join('');
      expect(output).to.include('"msg":"request"'); // debug logging was on
      for (const s of secrets) {
        expect(output).not.to.include(s);
        expect(output).not.to.include(s.slice('whsec_'.length));
      }
    });
  });
}
