import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/server.ts';

// Read the raw bytes: supertest would otherwise gunzip (and buffer as text) for us.
const collect = (res: NodeJS.ReadableStream, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** The bytes on the wire (superagent would gunzip before any parser sees them). */
function wire(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((ok, fail) => {
    http.get(url, { headers }, (res) => collect(res, (_e, body) => ok({ status: res.statusCode!, headers: res.headers, body }))).on('error', fail);
  });
}

describe('merchant snippet: GET /sdk/ctx.js (no auth, cacheable)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('serves a small dependency-free script with an ETag, public caching and a cross-origin resource policy', async () => {
    const res = await server.http.get('/sdk/ctx.js').set('accept-encoding', 'identity').buffer(true).parse((r, cb) => collect(r as unknown as NodeJS.ReadableStream, cb)).expect(200);
    expect(res.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).to.equal('public, max-age=3600');
    expect(res.headers['cross-origin-resource-policy']).to.equal('cross-origin');
    expect(res.headers.etag).to.match(/^"[A-Za-z0-9_-]{22}"$/);
    expect(res.headers['content-encoding']).to.equal(undefined);
    const js = (res.body as Buffer).toString('utf8');
    expect(js).to.include('tenx_ctx').and.include('SameSite=Lax').and.include('data-days');
    expect(js).not.to.match(/\bimport\b|\brequire\(|https?:\/\//); // loads nothing else
    expect(res.body.length).to.be.below(2048);
  });

  it('answers 304 to If-None-Match, for each encoding its own validator', async () => {
    const plain = await server.http.get('/sdk/ctx.js').set('accept-encoding', 'identity').expect(200);
    await server.http.get('/sdk/ctx.js').set({ 'accept-encoding': 'identity', 'if-none-match': plain.headers.etag }).expect(304);

    const gz = await wire(`${server.url}/sdk/ctx.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.status).to.equal(200);
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(gz.headers.vary).to.match(/accept-encoding/i);
    expect(gz.headers.etag).not.to.equal(plain.headers.etag);
    expect(gunzipSync(gz.body).toString('utf8')).to.equal(plain.text);
    expect(gz.body.length).to.be.below(1024);
    const again = await wire(`${server.url}/sdk/ctx.js`, { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag! });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
    // A stale validator gets the script again.
    await server.http.get('/sdk/ctx.js').set({ 'accept-encoding': 'identity', 'if-none-match': '"stale"' }).expect(200);
  });

  it('reserves "sdk" as a handle, so no tenant can own paths under /sdk/', async () => {
    const res = await server.http.post('/v2/handles').set(server.admin()).send({ handle: 'sdk', name: 'Squatter' }).expect(400);
    expect(res.body.error.code).to.equal('invalid_request');
  });
});
