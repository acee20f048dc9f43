import { connect } from 'node:net';
import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// A client sending its request a byte at a time held a connection for node:http's default 5 minutes (a black-box pass):
// REQUEST_TIMEOUT_MS (default 30 s) bounds it, here 1 s.
describe('REQUEST_TIMEOUT_MS: a request that does not arrive in time', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { REQUEST_TIMEOUT_MS: '1000', ANALYTICS_SSE_HEARTBEAT_MS: '300' } });
  });
  after(async () => server?.close());

  /** Writes `text` on a new connection and keeps it open; resolves with what came back once the server closed it. */
  function stall(text: string): Promise<{ answer: string; afterMs: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1' }, () => socket.write(text));
      let answer = '';
      socket.on('data', (d) => (answer += d)).on('error', () => {});
      socket.on('close', () => resolve({ answer, afterMs: Date.now() - started }));
    });
  }

  it('answers 408 request_timeout and closes the connection: a body stalled after 5 bytes, and headers never finished', async () => {
    const owner = await createHandle(server);
    const body = JSON.stringify({ campaignId: 'slow', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'slow', destinationUrl: 'https://merchant.example.com/' } });
    const [slowBody, slowHeaders] = await Promise.all([
      stall(`POST /v2/handles/${owner.handle}/campaigns HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`),
      stall(`GET /v2/handles/${owner.handle}/campaigns HTTP/1.1\r\nhost: x\r\n`),
      // Meanwhile the server answers everyone else.
      server.http.get(`/v2/handles/${owner.handle}/campaigns`).set(owner.auth).expect(200),
    ]);
    for (const { answer, afterMs } of [slowBody, slowHeaders]) {
      expect(answer).to.match(/^HTTP\/1\.1 408 /);
      expect(answer).to.match(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code).to.equal('request_timeout');
      // Not before the limit, and not node's 5 minutes (its check runs every tenth of the limit, and the suite's machine is busy).
      expect(afterMs).to.be.within(950, 5000);
    }
    await server.http.get(`/v2/handles/${owner.handle}/campaigns/slow`).set(owner.auth).expect(404);
  });

  it('does not limit an answer that takes longer than the request took to arrive (a live stream open past the limit)', async () => {
    const owner = await createHandle(server);
    const seen = await new Promise<{ text: string; closedAt: number | null; heartbeatsAfterLimit: number }>((resolve, reject) => {
      const started = Date.now();
      let text = '';
      let closedAt: number | null = null;
      let heartbeatsAfterLimit = 0;
      const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1' }, () =>
        socket.write(`GET /v2/handles/${owner.handle}/analytics/stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\naccept: text/event-stream\r\n\r\n`));
      socket.on('data', (d) => {
        text += d;
        if (Date.now() - started > 1100) heartbeatsAfterLimit += String(d).split(': heartbeat').length - 1;
      });
      socket.on('error', reject).on('close', () => (closedAt ??= Date.now() - started));
      setTimeout(() => {
        resolve({ text, closedAt, heartbeatsAfterLimit });
        socket.destroy();
      }, 2500);
    });
    expect(seen.text).to.match(/^HTTP\/1\.1 200 /);
    expect(seen.text).to.include('text/event-stream');
    // Still open at 2.5 s, and still streaming past the 1 s limit (a heartbeat every 300 ms).
    expect(seen.closedAt).to.equal(null);
    expect(seen.heartbeatsAfterLimit).to.be.greaterThan(0);
  });

  it('leaves an idle keep-alive connection open past the limit: the next request on it is answered', async () => {
    const owner = await createHandle(server);
    const request = `GET /v2/handles/${owner.handle}/campaigns HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${owner.ownerToken}\r\n\r\n`;
    const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1' });
    let text = '';
    let closed = false;
    socket.on('data', (d) => (text += d)).on('error', () => {}).on('close', () => (closed = true));
    await new Promise((r) => socket.once('connect', r));
    socket.write(request);
    await new Promise((r) => setTimeout(r, 2500));
    socket.write(request);
    // Both answers, however slow the machine (the second one's handler reads the database).
    for (let waited = 0; (text.match(/HTTP\/1\.1 /g) ?? []).length < 2 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    expect(closed).to.equal(false);
    expect(text.match(/HTTP\/1\.1 \d+/g)).to.deep.equal(['HTTP/1.1 200', 'HTTP/1.1 200']);
  });

  it('refuses a REQUEST_TIMEOUT_MS under a second at start', async () => {
    const { loadConfig } = await import('../../config/index.ts');
    expect(() => loadConfig({ ADMIN_TOKEN: 'a'.repeat(32), REQUEST_TIMEOUT_MS: '10' })).to.throw(/REQUEST_TIMEOUT_MS/);
  });
});
