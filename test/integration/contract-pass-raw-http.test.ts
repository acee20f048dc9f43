import { connect } from 'node:net';
import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// Contract pass: API.md's "every response carries x-request-id" and its error shape hold for requests node:http
// itself would refuse before any handler runs, here an HTTP/1.1 request without a Host header (RFC 9112 §3.2: 400).
describe('contract pass: HTTP/1.1 requests without a Host header', function () {
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
});
