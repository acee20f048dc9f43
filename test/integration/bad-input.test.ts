import { gzipSync } from 'node:zlib';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { expect } from 'chai';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { RouteDef } from '../../core/http/route.ts';
import { ledgerRows } from '../support/commissions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

const pathFor = (route: RouteDef, handle: string) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'handle' ? handle : name.endsWith('Id') && name !== 'campaignId' ? uuidv7() : 'x-nope'));

// For every route that takes a JSON body: malformed JSON, an oversized body, a wrong media type and
// an unknown field are all answered 4xx in the contract's error shape, never 500.
describe('bad input on every route family that takes a body', () => {
  let server: TestServer;
  let bodyRoutes: RouteDef[];
  let headersFor: (route: RouteDef) => Record<string, string>;

  before(async () => {
    server = await startTestServer();
    bodyRoutes = server.kernel.container.resolve<RouteDef[]>('routeTable').filter((r) => r.body);
    const owner = await createHandle(server);
    await createPartner(server, owner, 'ana');
    const partner = await partnerToken(server, owner, 'ana', { scopes: ['partner.read', 'partner.postbacks.write'] });
    headersFor = (route) =>
      route.auth === 'admin' ? server.admin() : route.auth === 'public' ? {} : typeof route.auth === 'object' && 'partner' in route.auth ? partner.auth : owner.auth;
    (server as { handle?: string }).handle = owner.handle;
  });
  after(async () => server?.close());

  const handle = () => (server as unknown as { handle: string }).handle;
  // The /metrics lines of 5xx answers. prom-client's registry is the mocha worker's, shared with every test server it ran
  // before this one (database-faults.test.ts answers 503s on purpose): a test compares them before and after its requests.
  const serverErrorLines = async () => (await server.http.get('/metrics').expect(200)).text.split('\n').filter((l) => /status="5\d\d"/.test(l));
  const call = (route: RouteDef) => server.http[route.method.toLowerCase() as 'post'](pathFor(route, handle())).set(headersFor(route));

  const expectError = (res: { status: number; body: { error?: { code: string; message: string } } }, status: number, what: string) => {
    expect(res.status, what).to.equal(status);
    expect(res.body.error, what).to.be.an('object');
    expect(res.body.error!.code, what).to.be.a('string');
    expect(res.body.error!.message, what).to.be.a('string');
  };

  it('answers malformed JSON with 400 invalid_request', async () => {
    for (const route of bodyRoutes) {
      const res = await call(route).set('content-type', 'application/json').send('{"oops": ');
      expectError(res, 400, `${route.method} ${route.path}`);
      expect(res.body.error.code).to.equal('invalid_request');
    }
  });

  it('answers bodies over 64 KiB with 413 payload_too_large', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
    for (const route of bodyRoutes) {
      const res = await call(route).set('content-type', 'application/json').send(big);
      expectError(res, 413, `${route.method} ${route.path}`);
      expect(res.body.error.code).to.equal('payload_too_large');
    }
  });

  it('answers a non-JSON media type with 415', async () => {
    for (const route of bodyRoutes) {
      const res = await call(route).set('content-type', 'text/plain').send('hello');
      expectError(res, 415, `${route.method} ${route.path}`);
      expect(res.body.error.code).to.equal('unsupported_media_type');
    }
  });

  it('answers a compressed body (Content-Encoding) with 415 on every route, gzip or plain bytes labelled gzip', async () => {
    const plain = JSON.stringify({ name: 'x' });
    const zipped = gzipSync(plain);
    for (const route of bodyRoutes) {
      for (const [encoding, body] of [['gzip', zipped], ['gzip', Buffer.from(plain)], ['br', Buffer.from(plain)]] as const) {
        const res = await call(route).set('content-type', 'application/json').set('content-encoding', encoding).send(body);
        expectError(res, 415, `${route.method} ${route.path} ${encoding}`);
        expect(res.body.error.message).to.include(`Content-Encoding ${encoding}`);
      }
    }
    // identity is no encoding: the body is read (a 4xx of the route's own, never 415).
    const identity = await call(bodyRoutes[0]).set('content-type', 'application/json').set('content-encoding', 'identity').send('{"oops": ');
    expect(identity.status).to.equal(400);
    // JSON is UTF-8: another declared charset is refused, never read as if it were UTF-8; utf-8 in any spelling is read.
    for (const route of bodyRoutes) {
      for (const type of ['application/json; charset=utf-16', 'application/json; Charset=UTF-16', 'application/json; charset=utf-16;', 'application/json; charset="utf-16"; foo']) {
        const res = await call(route).set('content-type', type).send(Buffer.from('{"oops": ', 'utf16le'));
        expectError(res, 415, `${route.method} ${route.path} ${type}`);
        expect(res.body.error.message).to.include('charset=utf-16');
      }
    }
    for (const type of ['application/json; charset=UTF-8', 'application/json;charset=utf8', 'application/json; charset=us-ascii']) {
      expect((await call(bodyRoutes[0]).set('content-type', type).send('{"oops": ')).status, type).to.equal(400);
    }
  });

  it('answers who may not call a route 401/403/404 before reading its body (API.md), never 400/413/415', async () => {
    const other = await createHandle(server);
    const bodies: Array<[string, string]> = [['application/json', '{"oops": '], ['text/plain', 'hello'], ['application/json', JSON.stringify({ name: 'x'.repeat(70 * 1024) })]];
    for (const route of bodyRoutes.filter((r) => r.auth !== 'public')) {
      const what = `${route.method} ${route.path}`;
      for (const [type, body] of bodies) {
        const send = (headers: Record<string, string>) => call(route).set({ ...headers, 'content-type': type }).send(body);
        expect((await send({ authorization: 'Bearer tenx_pat_nope' })).status, `${what}, ${type}, no valid token`).to.equal(401);
        if (route.auth === 'admin') continue;
        // Another handle's token on this handle's route: 404, as if the handle did not exist.
        const res = await send(typeof route.auth === 'object' && 'partner' in route.auth ? { authorization: 'Bearer tenx_ptk_nope' } : other.auth);
        expect(res.status, `${what}, ${type}, another handle's token`).to.equal(typeof route.auth === 'object' && 'partner' in route.auth ? 401 : 404);
      }
    }
  });

  it('answers unknown fields and wrong types with 400 naming the field', async () => {
    for (const route of bodyRoutes) {
      const res = await call(route).send({ definitelyNotAField: true });
      expect(res.status, `${route.method} ${route.path}`).to.be.within(400, 422);
      expect(res.body.error.code).to.be.a('string');
      if (res.status === 400) expect(res.body.error.details, `${route.method} ${route.path}`).to.be.an('array').that.is.not.empty;
      const arr = await call(route).send([1, 2, 3]);
      expect(arr.status, `${route.method} ${route.path} array`).to.be.within(400, 422);
    }
  });

  it('answers a body sent to an action route that takes none with 400, and accepts none or {}', async () => {
    const actions = server.kernel.container.resolve<RouteDef[]>('routeTable').filter((r) => !r.body && ['POST', 'PUT', 'PATCH'].includes(r.method));
    expect(actions.map((r) => r.path)).to.include.members(['/v2/handles/{handle}/webhooks/{webhookId}/ping', '/v2/handles/{handle}/notifications/{deliveryId}/redeliver']);
    for (const route of actions) {
      const what = `${route.method} ${route.path}`;
      const res = await call(route).send({ reason: 'ignored?' });
      expectError(res, 400, what);
      expect(res.body.error.details[0]).to.deep.equal({ pointer: '/body', message: 'must be absent or {}' });
      // Nothing or {} goes on to the route itself (here: 404 for the made-up ids).
      for (const ok of [call(route), call(route).send({})]) expect((await ok).status, what).to.not.equal(400);
    }
  });

  it('reads a DELETE\'s body as an action route\'s: over 64 KiB 413, not JSON 415, fields 400, and nothing is deleted (it was ignored while the delete ran)', async () => {
    const deletes = server.kernel.container.resolve<RouteDef[]>('routeTable').filter((r) => r.method === 'DELETE');
    expect(deletes.length).to.be.greaterThan(5);
    for (const route of deletes) {
      const what = `DELETE ${route.path}`;
      const del = () => server.http.delete(pathFor(route, handle())).set(headersFor(route));
      expectError(await del().set('content-type', 'application/json').send(JSON.stringify({ pad: 'x'.repeat(70 * 1024) })), 413, what);
      expectError(await del().set('content-type', 'text/plain').send('x'), 415, what);
      const fields = await del().send({ reason: 'ignored?' });
      expectError(fields, 400, what);
      expect(fields.body.error.details[0]).to.deep.equal({ pointer: '/body', message: 'must be absent or {}' });
      for (const ok of [del(), del().send({})]) expect((await ok).status, what).to.not.equal(400);
    }
    // A real one: refused with a body, then deleted without.
    await server.http.put(`/v2/handles/${handle()}/rewards/doomed`).set(headersFor(deletes[0])).send({ scope: {}, event: 'sale', type: 'flat', amount: 1 }).expect(201);
    const rewardOwner = headersFor(deletes.find((r) => r.path.endsWith('/rewards/{rewardId}'))!);
    await server.http.delete(`/v2/handles/${handle()}/rewards/doomed`).set(rewardOwner).set('content-type', 'text/plain').send('x'.repeat(70_000)).expect(413);
    await server.http.get(`/v2/handles/${handle()}/rewards`).set(rewardOwner).expect(200).then((r) => expect(r.body.data.map((x: { rewardId: string }) => x.rewardId)).to.include('doomed'));
    await server.http.delete(`/v2/handles/${handle()}/rewards/doomed`).set(rewardOwner).expect(200);
  });

  it("answers requests node:http refuses itself (headers over 16 KiB, not HTTP) in the contract's shape with an x-request-id", async () => {
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.end(request));
        let out = '';
        socket.on('data', (d) => (out += d)).on('end', () => resolve(out)).on('error', reject);
      });
    const parse = (response: string) => {
      const [head, body] = response.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: JSON.parse(body) };
    };
    const big = parse(await raw(`GET /${handle()}/x?src=${'a'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`));
    expect(big.status).to.equal(431);
    expect(big.body.error.code).to.equal('headers_too_large');
    expect(big.head).to.match(/\r\nx-request-id: [0-9a-f-]{36}/);
    const junk = parse(await raw('NOT HTTP AT ALL\r\n\r\n'));
    expect(junk.status).to.equal(400);
    expect(junk.body.error).to.include({ code: 'invalid_request' });
    // A valid incoming x-request-id is echoed, as on every other answer; an invalid one is replaced.
    const echoed = parse(await raw(`GET /${handle()}/x?src=${'a'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\nX-Request-Id: trace-431.a\r\n\r\n`));
    expect(echoed.status).to.equal(431);
    expect(echoed.head).to.include('\r\nx-request-id: trace-431.a\r\n');
    const echoedJunk = parse(await raw('GET /x HTTP/1.1\r\nx-request-id: trace-400\r\nbad header\r\n\r\n'));
    expect(echoedJunk.status).to.equal(400);
    expect(echoedJunk.head).to.include('\r\nx-request-id: trace-400\r\n');
    const forged = parse(await raw(`GET /${handle()}/x?src=${'a'.repeat(20_000)} HTTP/1.1\r\nx-request-id: <script>\r\n\r\n`));
    expect(forged.head).to.match(/\r\nx-request-id: [0-9a-f-]{36}/);
    // Looking for the id in 60 KB of spaces takes linear time (a backtracking pattern took minutes of the event loop).
    for (const value of [' '.repeat(60_000), `a${' '.repeat(60_000)}`]) {
      const spaced = parse(await raw(`GET /x HTTP/1.1\r\nhost: x\r\nx-request-id:${value}\x01\r\n\r\n`));
      expect(spaced.status).to.be.oneOf([400, 431]);
      expect(spaced.head).to.match(/\r\nx-request-id: [0-9a-f-]{36}/);
    }
  });

  it('cuts a connection whose client never closes its side after such an answer (node:http keeps half-open ones)', async () => {
    const serverSide = new Promise<Duplex>((resolve) => server.kernel.server.once('connection', resolve));
    const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', allowHalfOpen: true }, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let text = '';
    socket.on('data', (d) => (text += d)).on('error', () => {});
    const serverSocket = await serverSide;
    const closed = await new Promise<boolean>((resolve) => {
      if (serverSocket.destroyed) return resolve(true);
      const deadline = setTimeout(() => resolve(false), 6000);
      serverSocket.once('close', () => {
        clearTimeout(deadline);
        resolve(true);
      });
    });
    socket.destroy();
    expect(text).to.match(/^HTTP\/1\.1 400 /);
    expect(closed, 'the server closed its side within the grace').to.equal(true);
  });

  it('never writes such an answer into a response already streaming on the same connection: the connection ends', async () => {
    const owner = await createHandle(server);
    const out = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
        socket.write(`GET /v2/handles/${owner.handle}/analytics/stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\naccept: text/event-stream\r\n\r\n`);
        setTimeout(() => socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`), 500);
      });
      let text = '';
      socket.on('data', (d) => (text += d)).on('close', () => resolve(text)).on('error', reject);
    });
    expect(out).to.match(/^HTTP\/1\.1 200 /);
    expect(out).not.to.include('headers_too_large');
    // Junk pipelined right behind a request still being answered: no 400 the client would read as that request's answer.
    const pipelined = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d)).on('close', () => resolve(text)).on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(text) : reject(e)));
    });
    expect(pipelined).not.to.match(/^HTTP\/1\.1 400/);
  });

  it('answers a body that is not valid chunked encoding 400 in the error shape, creating nothing, one answer per connection; never a 500', async () => {
    const errorsBefore = await serverErrorLines();
    const owner = await createHandle(server);
    const send = (path: string, body: string, auth = true) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(
          `POST ${path} HTTP/1.1\r\nhost: x\r\nx-request-id: bad-chunks-1\r\n${auth ? `authorization: Bearer ${owner.ownerToken}\r\n` : ''}` +
            `content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${body}`));
        let text = '';
        socket.on('data', (d) => (text += d)).on('close', () => resolve(text)).on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(text) : reject(e)));
      });
    const campaign = JSON.stringify({ campaignId: 'chunky', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'chunky', destinationUrl: 'https://merchant.example.com/' } });
    const half = campaign.slice(0, 40);
    // A chunk size that is no hex number; a chunk longer than it said; a valid first chunk, then junk where the next size goes.
    for (const body of [`zz\r\n${campaign}\r\n0\r\n\r\n`, `2\r\n${campaign}\r\n0\r\n\r\n`, `${half.length.toString(16)}\r\n${half}\r\nnot-a-size\r\n`]) {
      for (const [path, auth] of [[`/v2/handles/${owner.handle}/campaigns`, true], ['/v2/public/conversions', false]] as const) {
        const out = await send(path, body, auth);
        const what = `${path} ${JSON.stringify(body.slice(0, 12))}`;
        expect(out, what).to.match(/^HTTP\/1\.1 400 /);
        expect(out.match(/HTTP\/1\.1 /g), `${what}: one answer`).to.have.length(1);
        const head = out.slice(0, out.indexOf('\r\n\r\n')).toLowerCase();
        expect(head, what).to.include('connection: close').and.include('content-type: application/json; charset=utf-8').and.match(/\r\nx-request-id: bad-chunks-1(\r\n|$)/);
        expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)), what).to.deep.equal({ error: { code: 'invalid_request', message: 'The request body is not valid HTTP chunked encoding.' } });
      }
    }
    await server.http.get(`/v2/handles/${owner.handle}/campaigns/chunky`).set('authorization', `Bearer ${owner.ownerToken}`).expect(404);
    // The same body chunked correctly is taken.
    expect(await send(`/v2/handles/${owner.handle}/campaigns`, `${campaign.length.toString(16)}\r\n${campaign}\r\n0\r\n\r\n`)).to.match(/^HTTP\/1\.1 201 /);
    expect(await serverErrorLines()).to.deep.equal(errorsBefore);
  });

  it('answers 408 to a body too slow, and then reads nothing more: neither the rest of it nor a request behind it runs; a body cut short is 400', async () => {
    const owner = await createHandle(server);
    const campaign = (id: string) => JSON.stringify({ campaignId: id, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: id, destinationUrl: 'https://merchant.example.com/' } });
    const head = (body: string) => `POST /v2/handles/${owner.handle}/campaigns HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const serverSide = new Promise<Duplex>((resolve) => server.kernel.server.once('connection', resolve));
    const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('error', () => {});
    const slow = campaign('slowpoke');
    socket.write(head(slow) + slow.slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    // What node:http's connection check does to a request not whole within requestTimeout (default 5 minutes).
    (await serverSide).emit('error', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(text).to.match(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code).to.equal('request_timeout');
    // The client goes on: the rest of the body, then another request on the connection. Neither is carried out.
    socket.write(slow.slice(10));
    socket.write(`DELETE /v2/handles/${owner.handle} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\n\r\n`);
    // The server ends the connection within its grace (the client, half-open, notices only when it writes again).
    const serverSocket = await serverSide;
    if (!serverSocket.destroyed) await new Promise((r) => serverSocket.once('close', r));
    socket.destroy();
    expect(text.match(/HTTP\/1\.1 /g), 'one answer').to.have.length(1);
    await server.http.get(`/v2/handles/${owner.handle}/campaigns/slowpoke`).set(owner.auth).expect(404);
    await server.http.get(`/v2/handles/${owner.handle}`).set(owner.auth).expect(200);

    // A Content-Length body the client stops sending (it half-closes): said so, not called chunked encoding.
    const cut = await new Promise<string>((resolve) => {
      const c = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', allowHalfOpen: true }, () => c.end(head(campaign('cut')) + 'x'.repeat(10)));
      let out = '';
      c.on('data', (d) => (out += d)).on('close', () => resolve(out)).on('error', () => resolve(out));
    });
    expect(cut).to.match(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(cut.slice(cut.indexOf('\r\n\r\n') + 4)).error).to.deep.equal({ code: 'invalid_request', message: 'The request body ended before its Content-Length.' });
    await server.http.get(`/v2/handles/${owner.handle}/campaigns/cut`).set(owner.auth).expect(404);
  });

  describe('while a request waits on the database (its token lookup held by a lock)', () => {
    const campaign = (id: string) => JSON.stringify({ campaignId: id, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: id, destinationUrl: 'https://merchant.example.com/' } });
    let owner: Awaited<ReturnType<typeof createHandle>>;
    const post = (body: string) => `POST /v2/handles/${owner.handle}/campaigns HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    /** Holds every token lookup until release(): the request's handler has not read its body yet. */
    async function stallTokens() {
      const locker = new pg.Client({ connectionString: server.db.url });
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table access_tokens in access exclusive mode');
      return async () => {
        await locker.query('commit');
        await locker.end();
      };
    }
    const exists = async (id: string) => (await server.sql.query('select 1 from campaigns where handle = $1 and campaign_id = $2', [owner.handle, id])).rowCount === 1;
    beforeEach(async () => {
      owner = await createHandle(server);
    });

    it('a 408 before the handler reads its body: neither the rest of the body (read later) nor a request behind it runs', async () => {
      const serverSide = new Promise<Duplex>((resolve) => server.kernel.server.once('connection', resolve));
      const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', allowHalfOpen: true });
      let text = '';
      socket.on('data', (d) => (text += d)).on('error', () => {});
      const release = await stallTokens();
      const body = campaign('latecomer');
      socket.write(post(body) + body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 200));
      (await serverSide).emit('error', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
      await new Promise((r) => setTimeout(r, 100));
      socket.write(body.slice(10));
      socket.write(`DELETE /v2/handles/${owner.handle} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\n\r\n`);
      await new Promise((r) => setTimeout(r, 50));
      // The handler now goes on and reads its body (node:http resumed the socket for it, before the fix).
      await release();
      const serverSocket = await serverSide;
      if (!serverSocket.destroyed) await new Promise((r) => serverSocket.once('close', r));
      socket.destroy();
      expect(text.match(/HTTP\/1\.1 \d+/g)).to.deep.equal(['HTTP/1.1 408']);
      expect(await exists('latecomer')).to.equal(false);
      await server.http.get(`/v2/handles/${owner.handle}`).set(owner.auth).expect(200);
    });

    it('junk behind two requests read whole: both run and both are answered, then the connection closes', async () => {
      const release = await stallTokens();
      const [a, b] = [campaign('pipe-a'), campaign('pipe-b')];
      const out = new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(post(a) + a + post(b) + b + 'GARBAGE\r\n\r\n'));
        let text = '';
        socket.on('data', (d) => (text += d)).on('close', () => resolve(text)).on('error', () => resolve(text));
      });
      await new Promise((r) => setTimeout(r, 300));
      await release();
      expect((await out).match(/HTTP\/1\.1 \d+/g)).to.deep.equal(['HTTP/1.1 201', 'HTTP/1.1 201']);
      expect([await exists('pipe-a'), await exists('pipe-b')]).to.deep.equal([true, true]);
    });
  });

  it('answers a request read whole though junk follows it (a Content-Length short of the body), then closes; never a 500', async () => {
    const errorsBefore = await serverErrorLines();
    const owner = await createHandle(server);
    const raw = (request: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.on('data', (d) => (text += d)).on('close', () => resolve(text)).on('error', reject);
      });
    const patch = (body: Buffer, length: number) =>
      Buffer.concat([
        Buffer.from(`PATCH /v2/handles/${owner.handle} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`),
        body,
      ]);
    // A stray byte after a whole body: the request is carried out and answered, the connection then closes.
    const extra = await raw(patch(Buffer.from('{"name":"Renamed"}}'), Buffer.byteLength('{"name":"Renamed"}')));
    expect(extra).to.match(/^HTTP\/1\.1 200 /);
    expect(extra.toLowerCase()).to.include('connection: close');
    expect((await server.http.get(`/v2/handles/${owner.handle}`).set('authorization', `Bearer ${owner.ownerToken}`)).body.name).to.equal('Renamed');
    // A length counted in characters, not bytes ("é" is two): the JSON read is cut short, and the client is told so.
    const body = Buffer.from('{"name":"éx"}');
    const short = await raw(patch(body, body.length - 1));
    expect(short).to.match(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(short.slice(short.indexOf('\r\n\r\n') + 4)).error).to.deep.include({ code: 'invalid_request', message: 'The request body is not valid JSON.' });
    // Junk right behind a redirect the fast lane has already written (keep-alive in its headers): the connection ends
    // with it; a request sent on it after was answered "not valid HTTP" by the parser left in its error state.
    const made = await server.http.post(`/v2/handles/${owner.handle}/campaigns`).set({ authorization: `Bearer ${owner.ownerToken}` }).send({
      campaignId: 'junk-after', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'junk-after', destinationUrl: 'https://merchant.example.com/' },
    }).expect(201);
    const path = `/${owner.handle}/${made.body.primaryLink.slug}`;
    await server.http.get(path).set('user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0').expect(302); // cached: the fast lane's
    const afterRedirect = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
        socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n}`);
        for (let i = 0; i < 50; i++) setTimeout(() => socket.writable && socket.write('}'), 5 * i); // each read repeats the parser's error
        setTimeout(() => socket.writable && socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n'), 400);
      });
      let text = '';
      socket.on('data', (d) => (text += d)).on('close', () => resolve(text)).on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(text) : reject(e)));
    });
    expect(afterRedirect).to.match(/^HTTP\/1\.1 302 /);
    expect(afterRedirect).to.not.include('invalid_request');
    expect(afterRedirect.match(/HTTP\/1\.1 /g)).to.have.length(1);
    expect(await serverErrorLines()).to.deep.equal(errorsBefore);
  });

  it('says an id\'s or a slug\'s rule in words, not as its regular expression', async () => {
    const owner = await createHandle(server);
    const res = await server.http.post(`/v2/handles/${owner.handle}/campaigns`).set({ authorization: `Bearer ${owner.ownerToken}` }).send({
      campaignId: 'Bad Id', goalType: 'AFFILIATE_CLICKOUT', primaryLink: { slug: '-deal!', destinationUrl: 'https://merchant.example.com/' },
    });
    expectError(res, 400, 'a campaign with a bad id and slug');
    expect(res.body.error.details).to.deep.include.members([
      { pointer: '/body/campaignId', message: 'must be 1 to 64 lower-case letters, digits or hyphens, starting with a letter or digit' },
      { pointer: '/body/primaryLink/slug', message: 'must be 1 to 64 letters, digits, hyphens or underscores, starting with a letter or digit' },
    ]);
  });

  it('echoes a valid x-request-id and mints one otherwise', async () => {
    const echoed = await server.http.get('/healthz').set('x-request-id', 'abc-123').expect(200);
    expect(echoed.headers['x-request-id']).to.equal('abc-123');
    const minted = await server.http.get('/healthz').set('x-request-id', 'bad id with spaces').expect(200);
    expect(minted.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('answers an id in another form than 8-4-4-4-12 (urn:uuid:…, which PostgreSQL refuses) naming it: 404 in a path (no such resource can exist), 400 in a query', async () => {
    const isUuid = (s: unknown) => (s as { format?: string } | undefined)?.format === 'uuid';
    const uuidFields = (schema: unknown) => Object.entries((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).filter(([, s]) => isUuid(s)).map(([k]) => k);
    const routes = server.kernel.container.resolve<RouteDef[]>('routeTable');
    let tried = 0;
    for (const route of routes) {
      const urn = `urn:uuid:${uuidv7()}`;
      for (const name of uuidFields(route.params)) {
        // The named parameter gets the urn; any other id in the path stays a plain (unknown) one.
        const segments = route.path.split('/');
        const own = pathFor(route, handle()).split('/').map((seg, i) => (segments[i] === `{${name}}` ? urn : seg)).join('/');
        const res = await server.http[route.method.toLowerCase() as 'post'](own).set(headersFor(route)).send(route.body ? {} : undefined);
        // A PUT creates what its path names: a malformed id there is the client's input (400); elsewhere none can exist (404).
        expectError(res, route.method === 'PUT' ? 400 : 404, `${route.method} ${route.path} with ${name}=${urn}`);
        expect(res.body.error.details.map((d: { pointer: string }) => d.pointer), `${route.method} ${route.path}`).to.include(`/params/${name}`);
        tried++;
      }
      for (const name of route.method === 'GET' ? uuidFields(route.query) : []) {
        const res = await server.http.get(`${pathFor(route, handle())}?${name}=${encodeURIComponent(urn)}`).set(headersFor(route));
        expectError(res, 400, `${route.path}?${name}=${urn}`);
        tried++;
      }
    }
    // The fuzz pass found these 20 routes and query parameters answering 500, and the bulk body's ids.
    expect(tried).to.be.at.least(20);
    const bulk = await server.http.post(`/v2/handles/${handle()}/commissions/bulk`).set(headersFor(routes.find((r) => r.path.endsWith('/commissions/bulk'))!))
      .send({ commissionIds: [`urn:uuid:${uuidv7()}`], status: 'approved', reason: 'checked' });
    expectError(bulk, 400, 'commissions/bulk');
  });

  it('answers a path id that cannot exist (not_found, naming the segment) as it answers an unknown one: 404, after the token is checked', async () => {
    const owner = await createHandle(server);
    const auth = { authorization: `Bearer ${owner.ownerToken}` };
    const base = `/v2/handles/${owner.handle}`;
    for (const [method, path] of [
      ['get', `${base}/webhooks/does-not-exist`],
      ['delete', `${base}/tokens/nope`],
      ['post', `${base}/notifications/x/redeliver`],
      ['get', `${base}/campaigns/NOPE`],
      ['get', `${base}/partners/Not%20a%20partner`],
      ['post', `${base}/payouts/p1/mark-paid`],
    ] as const) {
      const res = await server.http[method](path).set(auth);
      expect(res.status, `${method} ${path}`).to.equal(404);
      expect(res.body.error.code, path).to.equal('not_found');
      expect(res.body.error.details?.[0]?.pointer, path).to.match(/^\/params\//);
      const unknown = await server.http[method](path.replace(/\/(does-not-exist|nope|x|NOPE|Not%20a%20partner|p1)(\/|$)/, `/${uuidv7()}$2`).replace(/campaigns\/[^/]+$/, 'campaigns/nope')).set(auth);
      expect(unknown.status, `${method} ${path}, a well-formed unknown id`).to.equal(404);
      const anonymous = await server.http[method](path);
      expect(anonymous.status, `${method} ${path} without a token`).to.equal(401);
    }
  });

  it('answers a PUT whose path names what it creates with a malformed id 400 invalid_request (the id is the client\'s input)', async () => {
    const owner = await createHandle(server);
    const res = await server.http.put(`/v2/handles/${owner.handle}/rewards/Bad%20Rule`).set({ authorization: `Bearer ${owner.ownerToken}` })
      .send({ scope: {}, event: 'click', type: 'flat', amount: 1 });
    expectError(res, 400, 'PUT rewards/Bad Rule');
    expect(res.body.error.code).to.equal('invalid_request');
    expect(res.body.error.details.map((d: { pointer: string }) => d.pointer)).to.include('/params/rewardId');
  });

  it('takes an id in capitals as the id tenx returns: answers and audit events carry it lower-cased', async () => {
    const owner = await createHandle(server);
    const auth = { authorization: `Bearer ${owner.ownerToken}` };
    const pat = await server.http.post(`/v2/handles/${owner.handle}/tokens`).set(auth).send({ name: 'upper', scopes: ['campaigns.read'] }).expect(201);
    const upper = (pat.body.tokenId as string).toUpperCase();
    expect(upper).to.not.equal(pat.body.tokenId);
    const revoked = await server.http.delete(`/v2/handles/${owner.handle}/tokens/${upper}`).set(auth).expect(200);
    expect(JSON.stringify(revoked.body)).to.not.include(upper);
    const events = await server.http.get(`/v2/handles/${owner.handle}/audit-events`).set(auth).expect(200);
    const revocation = events.body.data.find((e: { type: string }) => e.type === 'token.revoked');
    expect(revocation, JSON.stringify(events.body.data)).to.deep.include({ subjectId: pat.body.tokenId });
    const hook = await server.http.post(`/v2/handles/${owner.handle}/webhooks`).set(auth).send({ endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['conversion.tested'] }).expect(201);
    const ping = await server.http.post(`/v2/handles/${owner.handle}/webhooks/${(hook.body.webhookId as string).toUpperCase()}/ping`).set(auth).expect(202);
    expect(ping.body.webhookId).to.equal(hook.body.webhookId);
    // In a body too: a bulk move matched its ids as strings and answered 404 for one in capitals.
    await createPartner(server, owner, 'caps');
    const [pending] = await ledgerRows(server, [{ handle: owner.handle, partnerId: 'caps', amount: '1.00', status: 'pending' }]);
    const moved = await server.http.post(`/v2/handles/${owner.handle}/commissions/bulk`).set(auth)
      .send({ commissionIds: [pending.toUpperCase()], status: 'approved', reason: 'checked' }).expect(200);
    expect(moved.body.data.map((r: { commissionId: string; status: number }) => [r.commissionId, r.status])).to.deep.equal([[pending, 200]]);
    // …and the same id twice, once in capitals, is the duplicate it is (it was moved twice, an adversarial pass).
    const twice = await server.http.post(`/v2/handles/${owner.handle}/commissions/bulk`).set(auth)
      .send({ commissionIds: [pending, pending.toUpperCase()], status: 'rejected', reason: 'checked' }).expect(400);
    expect(twice.body.error.details).to.deep.equal([{ pointer: '/body/commissionIds', message: 'must NOT have duplicate items (items ## 1 and 0 are the same id)' }]);
  });

  it('answers a method the router does not know (TRACE, PROPFIND) 405 with allow on a routed path, 404 elsewhere, never 501', async () => {
    const send = (method: 'TRACE' | 'PROPFIND', path: string) => server.http[method === 'TRACE' ? 'trace' : 'propfind'](path).set(server.admin());
    for (const method of ['TRACE', 'PROPFIND'] as const) {
      const routed = await send(method, '/v2/handles');
      expectError(routed, 405, `${method} /v2/handles`);
      expect(routed.body.error.code).to.equal('method_not_allowed');
      expect(routed.headers.allow).to.equal('POST'); // not the short link's GET and HEAD: /v2 is never a handle
      const unrouted = await send(method, '/v2/nothing/here/at/all');
      expectError(unrouted, 404, `${method} /v2/nothing/here/at/all`);
    }
  });

  it('answers unknown routes with a JSON 404 and serves the OpenAPI document and docs', async () => {
    const res = await server.http.get('/v2/nothing-here').expect(404);
    expect(res.body.error.code).to.equal('not_found');
    const spec = await server.http.get('/v2/openapi.json').expect(200);
    expect(spec.body.openapi).to.equal('3.1.0');
    expect(spec.body.paths['/v2/handles']).to.have.property('post');
    const docs = await server.http.get('/docs').expect(200).expect('content-type', /html/);
    // Without a <link rel="icon"> the browser asks for /favicon.ico: a 404 in the console of every visit.
    const icon = /<link rel="icon" href="([^"]+)"/.exec(docs.text)?.[1];
    expect(icon, 'the docs page names its icon').to.be.a('string');
    await server.http.get(icon!).expect(200);
    const metrics = await server.http.get('/metrics').expect(200);
    expect(metrics.text).to.include('tenx_http_request_duration_seconds');
    const ready = await server.http.get('/readyz').expect(200);
    expect(ready.body.checks).to.deep.equal({ database: 'ok', redis: 'ok' });
  });
});
