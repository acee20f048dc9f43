import { connect } from 'node:net';
import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// Contract pass: API.md's "every response carries x-request-id" and its error shape hold for requests node:http
// itself would refuse before any handler runs, here an HTTP/1.1 request without a Host header (RFC 9112 §3.2: 400).
describe('contract pass: requests node:http passes on that no route can take (no Host, a request target that is no URL, two tokens, an Expect)', function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ redis: false });
  });
  after(async () => server?.close());

  const raw = (request: string) =>
    new Promise<{ status: number; head: string; body: string }>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(request));
      let out = '';
      socket.on('data', (d) => (out += d)).on('end', () => {
        const [head, ...rest] = out.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: rest.join('\r\n\r\n') });
      }).on('error', reject);
      setTimeout(() => socket.destroy(new Error(`no answer to ${JSON.stringify(request)}: ${JSON.stringify(out)}`)), 5000).unref();
    });

  it('answers 400 invalid_request in the error shape, with an x-request-id, on API routes, the redirect and /healthz', async () => {
    const owner = await createHandle(server);
    for (const path of ['/healthz', `/v2/handles/${owner.handle}/campaigns`, `/${owner.handle}/some-link`, '/v2/public/conversions']) {
      const res = await raw(`GET ${path} HTTP/1.1\r\nx-request-id: no-host-1\r\nconnection: close\r\n\r\n`);
      expect(res.status, path).to.equal(400);
      expect(res.head, path).to.match(/\r\nx-request-id: no-host-1(\r\n|$)/);
      expect(res.head, path).to.match(/\r\ncontent-type: application\/json; charset=utf-8(\r\n|$)/);
      const body = JSON.parse(res.body) as { error: { code: string; message: string } };
      expect(body.error.code, path).to.equal('invalid_request');
      expect(body.error.message, path).to.be.a('string').and.match(/host/i);
    }
  });

  it('still serves HTTP/1.0 requests without a Host header, and HTTP/1.1 ones with one', async () => {
    const old = await raw('GET /healthz HTTP/1.0\r\n\r\n');
    expect(old.status).to.equal(200);
    expect(old.head).to.match(/\r\nx-request-id: /);
    const withHost = await raw('GET /healthz HTTP/1.1\r\nhost: example\r\nconnection: close\r\n\r\n');
    expect(withHost.status).to.equal(200);
  });

  const errorOf = (res: { status: number; head: string; body: string }, what: string) => {
    expect(res.head, what).to.match(/\r\nx-request-id: [\w-]+(\r\n|$)/);
    expect(res.head, what).to.match(/\r\ncontent-type: application\/json; charset=utf-8(\r\n|$)/);
    return (JSON.parse(res.body) as { error: { code: string; message: string } }).error;
  };

  it('answers a request target in absolute form as its path, and one that is no http(s) URL with 400, never a 500 (a helper pass: `http://[::1` was a 500)', async () => {
    const owner = await createHandle(server);
    const absolute = await raw(`GET http://example.com/v2/handles/${owner.handle}/campaigns?limit=1 HTTP/1.1\r\nhost: example.com\r\nauthorization: Bearer ${owner.ownerToken}\r\nconnection: close\r\n\r\n`);
    expect(absolute.status, absolute.body).to.equal(200);
    expect(JSON.parse(absolute.body)).to.deep.equal({ data: [], nextCursor: null });
    // The path as sent, never as a URL parser resolves it: `..` in absolute form reaches only what it reaches in a path
    // (a review: `http://x/v2/public/%2e%2e/handles/…` became `/v2/handles/…`, past a proxy allowing /v2/public/ alone).
    for (const path of [`/v2/public/%2e%2e/handles/${owner.handle}/campaigns`, `/v2/public/../handles/${owner.handle}/campaigns`, '/a/./b/../../metrics']) {
      const asPath = await raw(`GET ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\nconnection: close\r\n\r\n`);
      const asUrl = await raw(`GET http://x${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\nconnection: close\r\n\r\n`);
      expect(asPath.status, path).to.equal(404);
      expect(asUrl.status, `http://x${path}`).to.equal(asPath.status);
    }
    for (const [target, status] of [['http://x', 404], ['http://x?y=1', 404], ['http://x/healthz#frag', 200], ['HTTP://X:80/healthz', 200]] as const) {
      expect((await raw(`GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)).status, target).to.equal(status);
    }
    // OPTIONS * asks about the server as a whole (RFC 9112 §3.2.4).
    const star = await raw('OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(star.status).to.equal(204);
    expect(star.head).to.match(/\r\nallow: get, head, post, put, patch, delete, options(\r\n|$)/);
    for (const [method, target] of [['GET', 'http://[::1'], ['POST', 'http://[::1/v2/public/conversions'], ['GET', 'ws://[/healthz'], ['HEAD', 'HTTP://[/healthz'], ['GET', '*'], ['GET', 'http://a:b/healthz'], ['GET', 'mailto:x@example.com'], ['GET', 'http:/x/healthz'], ['GET', 'http:\\\\x\\healthz']]) {
      const res = await raw(`${method} ${target} HTTP/1.1\r\nhost: example\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`);
      const what = `${method} ${target}`;
      expect(res.status, what).to.equal(400);
      if (method !== 'HEAD') expect(errorOf(res, what)).to.deep.include({ code: 'invalid_request' }).and.have.property('message').that.match(/request target|not valid HTTP/);
    }
  });

  it('refuses two Authorization headers (which one would count depends on who reads them) with 400', async () => {
    const a = await createHandle(server);
    const b = await createHandle(server);
    for (const [first, second] of [[a, b], [b, a], [a, a]]) {
      const res = await raw(`GET /v2/handles/${a.handle} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${first.ownerToken}\r\nauthorization: Bearer ${second.ownerToken}\r\nconnection: close\r\n\r\n`);
      expect(res.status).to.equal(400);
      expect(errorOf(res, 'two tokens').message).to.match(/one Authorization header/);
    }
    const one = await raw(`GET /v2/handles/${a.handle} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a.ownerToken}\r\nconnection: close\r\n\r\n`);
    expect(one.status).to.equal(200);
  });

  it("answers an Expect it cannot meet with 417 in the error shape, creating nothing (node:http's was bare)", async () => {
    const owner = await createHandle(server);
    const body = JSON.stringify({ partnerId: 'expect-1', name: 'E' });
    const res = await raw(`POST /v2/handles/${owner.handle}/partners HTTP/1.1\r\nhost: x\r\nexpect: bogus\r\nauthorization: Bearer ${owner.ownerToken}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    expect(res.status).to.equal(417);
    expect(errorOf(res, 'expect')).to.deep.include({ code: 'expectation_failed' });
    await server.http.get(`/v2/handles/${owner.handle}/partners/expect-1`).set(owner.auth).expect(404);
    const redirect = await raw(`GET /${owner.handle}/any HTTP/1.1\r\nhost: x\r\nexpect: bogus\r\nconnection: close\r\n\r\n`);
    expect(redirect.status).to.equal(417);
  });
});
