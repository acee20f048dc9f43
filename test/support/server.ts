import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import supertest from 'supertest';
import { loadConfig } from '../../config/index.ts';
import { startKernel, type Kernel } from '../../core/kernel.ts';
import type { Logger } from '../../core/infra/logger.ts';
import { createTestDatabase, dropRedisKeys, TEST_REDIS_URL, type TestDatabase } from './database.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

export interface TestServer {
  kernel: Kernel;
  url: string;
  db: TestDatabase;
  /** A direct connection to the test database, for asserting rows. */
  sql: pg.Pool;
  http: ReturnType<typeof supertest>;
  admin(): { Authorization: string };
  close(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Reuse another server's database (two processes sharing one PostgreSQL). */
  db?: TestDatabase;
  redis?: boolean;
  /** A logger of the test's own (to assert log lines); else one at TEST_LOG_LEVEL (silent). */
  log?: Logger;
}

/** Starts the real server (HTTP on a free port, real PostgreSQL, real Redis unless redis:false). */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const db = opts.db ?? (await createTestDatabase({ migrated: true }));
  const dataDir = mkdtempSync(join(tmpdir(), 'tenx-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    REDIS_URL: opts.redis === false ? '' : TEST_REDIS_URL,
    REDIS_PREFIX: `tenx-test-${db.name}`,
    ADMIN_TOKEN,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CTX_SECRETS: 'test-ctx-secret-key-aaaaaaaaaaaaaaaaaaaaaaaa',
    SECRET_KEY: 'test-secret-box-key',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    PUBLIC_RATE_LIMIT: '0',
    CLICK_FLUSH_MS: '20',
    ...opts.env,
  });
  const kernel = await startKernel(config, { log: opts.log });
  const sql = new pg.Pool({ connectionString: db.url, max: 3 });
  // pool.end() resolves before its clients' sockets have closed; the drop's `with (force)` may then
  // terminate one, and an 'error' on a pool without a listener would be an uncaught exception.
  sql.on('error', () => {});
  return {
    kernel,
    url: kernel.url,
    db,
    sql,
    http: supertest(kernel.url),
    admin: () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` }),
    async close() {
      await kernel.close();
      await sql.end();
      if (!opts.db) {
        await db.drop();
        if (config.redisUrl) await dropRedisKeys(`${kernel.config.redisPrefix}:`, config.redisUrl);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes what a test server left in Redis under its prefix (BullMQ metadata, counters). */
/**
 * Two server processes on one database and Redis, as a deployment of two behind a load balancer: started before the
 * enclosing describe()'s tests, closed after them. Read `a` and `b` inside the tests (they are set by then).
 */
export function twoServers(): { a: TestServer; b: TestServer } {
  const pair = {} as { a: TestServer; b: TestServer };
  before(async () => {
    pair.a = await startTestServer();
    pair.b = await startTestServer({ db: pair.a.db });
  });
  after(async () => {
    await pair.b?.close();
    await pair.a?.close();
  });
  return pair;
}

export const uniqueHandle = (prefix = 't') => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Creates a handle through the API and returns its owner token. */
export async function createHandle(server: TestServer, handle = uniqueHandle(), extra: Record<string, unknown> = {}) {
  const res = await server.http.post('/v2/handles').set(server.admin()).send({ handle, name: `Network ${handle}`, ...extra }).expect(201);
  return { handle, ownerToken: res.body.ownerToken as string, auth: { Authorization: `Bearer ${res.body.ownerToken}` } };
}

/** Creates a PAT with the given scopes on a handle. */
export async function createToken(server: TestServer, handle: string, ownerToken: string, scopes: string[]) {
  const res = await server.http
    .post(`/v2/handles/${handle}/tokens`)
    .set({ Authorization: `Bearer ${ownerToken}` })
    .send({ name: `t-${scopes.join('-')}`.slice(0, 200), scopes })
    .expect(201);
  return { token: res.body.token as string, tokenId: res.body.tokenId as string, auth: { Authorization: `Bearer ${res.body.token}` } };
}
