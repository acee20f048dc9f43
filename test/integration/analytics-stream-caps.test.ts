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

  it("lets a handle's partners hold half its streams and each partner half of that: a partner never locks out the managers or every other partner", async () => {
    // A server of its own: handle cap 8, so the partners hold at most 4 and each partner 2 (token cap 2).
    const caps = await startTestServer({ db: server.db, env: { ANALYTICS_SSE_MAX_PER_TOKEN: '2', ANALYTICS_SSE_MAX_PER_HANDLE: '8' } });
    const mine: SseClient[] = [];
    try {
      const at = (path: string) => `${caps.url}/v2/handles/${path}`;
      const openOn = async (handle: string, auth: Record<string, string>, realm = false) => {
        const s = await SseClient.open(at(`${handle}/${realm ? 'partner/' : ''}analytics/stream`), auth);
        mine.push(s);
        expect(s.status).to.equal(200);
      };
      const refusedOn = async (handle: string, auth: Record<string, string>, realm = false) => {
        const res = await caps.http.get(`/v2/handles/${handle}/${realm ? 'partner/' : ''}analytics/stream`).set(auth).expect(429);
        return res.body.error.message as string;
      };
      const h = await createHandle(caps);
      for (const p of ['p1', 'p2', 'p3']) await createPartner(caps, h, p);
      const [a, b] = [await partnerToken(caps, h, 'p1'), await partnerToken(caps, h, 'p1')];
      await openOn(h.handle, a.auth, true);
      await openOn(h.handle, a.auth, true);
      // p1's part (2) is full: the answer speaks of p1's own streams, never of the handle or other partners.
      expect(await refusedOn(h.handle, b.auth, true)).to.equal('You already hold 2 open analytics streams; close one first.');
      const p2 = await partnerToken(caps, h, 'p2');
      await openOn(h.handle, p2.auth, true);
      await openOn(h.handle, p2.auth, true);
      // The partners' half (4) is full: p3 waits, told nothing of what others hold.
      const p3 = await partnerToken(caps, h, 'p3');
      const busy = await refusedOn(h.handle, p3.auth, true);
      expect(busy).to.match(/^Too many analytics streams are open/).and.not.match(/\d/);
      // The managers keep the other half.
      const t1 = await createToken(caps, h.handle, h.ownerToken, ['analytics.read']);
      const t2 = await createToken(caps, h.handle, h.ownerToken, ['analytics.read']);
      for (const t of [t1, t1, t2, t2]) await openOn(h.handle, t.auth);
      const t3 = await createToken(caps, h.handle, h.ownerToken, ['analytics.read']);
      expect(await refusedOn(h.handle, t3.auth)).to.match(/^This handle already holds 8/);
    } finally {
      mine.forEach((s) => s.close());
      await caps.close();
    }
  });
});
