import { expect } from 'chai';
import type { AnalyticsStreams } from '../../core/analytics/stream.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

// Issue 12 item 6: a token (or a handle) opening streams without end must not hold a process's sockets.
describe('analytics streams: capped per token and per handle', () => {
  let server: TestServer;
  const streams: SseClient[] = [];

  before(async () => {
    server = await startTestServer({ env: { ANALYTICS_SSE_MAX_PER_TOKEN: '2', ANALYTICS_SSE_MAX_PER_HANDLE: '3' } });
  });
  after(async () => {
    streams.forEach((s) => s.close());
    await server?.close();
  });

  const open = async (handle: string, auth: Record<string, string>, realm = false) => {
    const s = await SseClient.open(`${server.url}/v2/handles/${handle}/${realm ? 'partner/' : ''}analytics/stream`, auth);
    streams.push(s);
    return s;
  };
  const refused = async (handle: string, auth: Record<string, string>, realm = false) => {
    const res = await server.http.get(`/v2/handles/${handle}/${realm ? 'partner/' : ''}analytics/stream`).set(auth).expect(429);
    expect(res.body.error.code).to.equal('rate_limited');
    expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
    return res.body.error.message as string;
  };

  it('answers 429 rate_limited beyond either cap, and a closed stream frees its place', async () => {
    const h = await createHandle(server);
    const t1 = await createToken(server, h.handle, h.ownerToken, ['analytics.read']);
    const t2 = await createToken(server, h.handle, h.ownerToken, ['analytics.read']);
    const first = await open(h.handle, t1.auth);
    await open(h.handle, t1.auth);
    expect(first.status).to.equal(200);
    expect(await refused(h.handle, t1.auth)).to.match(/token/);
    // Another token of the handle still may, up to the handle's cap.
    expect((await open(h.handle, t2.auth)).status).to.equal(200);
    expect(await refused(h.handle, t2.auth)).to.match(/handle/);
    // Another handle is not affected.
    const other = await createHandle(server);
    expect((await open(other.handle, other.auth)).status).to.equal(200);

    first.close();
    const hub = server.kernel.container.resolve<AnalyticsStreams>('analyticsStreams');
    const deadline = Date.now() + 5000;
    while (hub.clientCount() !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await open(h.handle, t2.auth)).status).to.equal(200);
    await refused(h.handle, t1.auth);
  });

  it("gives each partner's own streams a share of their own: a partner never locks out the managers or another partner", async () => {
    const h = await createHandle(server);
    await createPartner(server, h, 'p1');
    await createPartner(server, h, 'p2');
    const [a, b] = [await partnerToken(server, h, 'p1'), await partnerToken(server, h, 'p1')];
    await open(h.handle, a.auth, true);
    await open(h.handle, a.auth, true);
    await open(h.handle, b.auth, true);
    // p1's share (3) is full; the answer speaks of p1's own streams, never of what the handle holds.
    const message = await refused(h.handle, b.auth, true);
    expect(message).to.match(/^You already hold 3 open analytics streams/).and.not.match(/handle/);
    // The managers and the other partner still open theirs.
    const p2 = await partnerToken(server, h, 'p2');
    expect((await open(h.handle, p2.auth, true)).status).to.equal(200);
    const t1 = await createToken(server, h.handle, h.ownerToken, ['analytics.read']);
    const t2 = await createToken(server, h.handle, h.ownerToken, ['analytics.read']);
    for (const t of [t1, t1, t2]) expect((await open(h.handle, t.auth)).status).to.equal(200);
    expect(await refused(h.handle, t2.auth)).to.match(/This handle already holds 3/);
  });
});
