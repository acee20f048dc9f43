import { expect } from 'chai';
import type { Bus } from '../../core/infra/bus.ts';
import type { AnalyticsStreams, FunnelLoader } from '../../core/analytics/stream.ts';
import { insertCampaigns, insertTraffic } from '../support/analytics-fixtures.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

const HEARTBEAT_MS = '300';
const clicksNow = (campaignId: string, n: number, ago = 0) =>
  Array.from({ length: n }, () => ({ campaignId, at: new Date(Date.now() - ago) }));

describe('workflow 3: live partner performance over Server-Sent Events', () => {
  let a: TestServer;
  let b: TestServer;
  let h: Awaited<ReturnType<typeof createHandle>>;
  const streams: SseClient[] = [];
  const open = async (server: TestServer, query = '', auth = h.auth) => {
    const s = await SseClient.open(`${server.url}/v2/handles/${h.handle}/analytics/stream${query}`, auth);
    streams.push(s);
    return s;
  };

  before(async function () {
    this.timeout(30_000);
    a = await startTestServer({ env: { ANALYTICS_SSE_HEARTBEAT_MS: HEARTBEAT_MS } });
    // A second process on the same database and Redis, polling too rarely to notice anything by itself.
    b = await startTestServer({ db: a.db, env: { ANALYTICS_SSE_HEARTBEAT_MS: HEARTBEAT_MS, ANALYTICS_SSE_POLL_MS: '600000' } });
    h = await createHandle(a);
    await insertCampaigns(a.sql, h.handle, ['live-alpha', 'live-beta']);
    await insertTraffic(a.sql, h.handle, clicksNow('live-beta', 2, 60_000));
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  /** Announces a change of `campaignIds` on server a's bus `times` times, `everyMs` apart (waiting after each). */
  const announce = async (times: number, everyMs: number, campaignIds = ['live-alpha']) => {
    const bus = a.kernel.container.resolve<Bus>('bus');
    for (let i = 0; i < times; i++) {
      bus.publish('analytics.changed', { handle: h.handle, campaignIds });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  /** Wraps server a's funnel loads (the snapshot's and the pushes'); returns what undoes it. */
  const wrapLoads = (wrap: (load: FunnelLoader) => FunnelLoader) => {
    const hub = a.kernel.container.resolve<AnalyticsStreams>('analyticsStreams');
    const load = hub.loadFunnel;
    (hub as { loadFunnel: FunnelLoader }).loadFunnel = wrap(load);
    return () => ((hub as { loadFunnel: FunnelLoader }).loadFunnel = load);
  };
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it('opens with a full funnel snapshot, then pushes only the changed row within 2 s of a write', async () => {
    const s = await open(a);
    expect(s.status).to.equal(200);
    expect(s.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    expect(s.headers['cache-control']).to.include('no-cache');
    const snapshot = await s.until(() => s.events[0], 2000, 'the snapshot');
    expect(snapshot.event).to.equal('funnel');
    expect(snapshot.data.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['live-alpha', 'live-beta']);
    expect(snapshot.data.totals.clicks).to.equal(2);

    // Written like the click flusher would, publishing nothing: the per-handle poll notices (late clicks too).
    const wrote = Date.now();
    await insertTraffic(a.sql, h.handle, clicksNow('live-alpha', 3));
    const { row, event } = await s.until(() => s.funnelRow('live-alpha', 1), 2500, 'the live-alpha row');
    expect(row).to.include({ campaignId: 'live-alpha', clicks: 3, qualifiedClicks: 3 });
    expect(event.at - wrote).to.be.below(2000);
    expect(event.data.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['live-alpha']);
  });

  it('notices late clicks (an hour long past) without any announcement', async () => {
    const s = await open(a, '?campaignId=live-alpha');
    const before = (await s.until(() => s.events[0], 2000, 'the snapshot')).data.data[0].clicks;
    await insertTraffic(a.sql, h.handle, clicksNow('live-alpha', 2, 3 * 86_400_000));
    const { row } = await s.until(() => s.funnelRow('live-alpha', 1), 2500, 'the late clicks');
    expect(row.clicks).to.equal(before + 2);
  });

  it('hears analytics.changed from another process through Redis', async () => {
    const s = await open(b);
    await s.until(() => s.events[0], 2000, 'the snapshot');
    // Process b polls every 10 minutes: only the message published on process a can announce this write.
    await insertTraffic(a.sql, h.handle, clicksNow('live-beta', 5, 10 * 86_400_000));
    const sent = Date.now();
    a.kernel.container.resolve<Bus>('bus').publish('analytics.changed', { handle: h.handle, campaignIds: ['live-beta'] });
    const { row, event } = await s.until(() => s.funnelRow('live-beta', 1), 2000, 'the live-beta row');
    expect(row.clicks).to.equal(7);
    expect(event.at - sent).to.be.below(1500);
  });

  it('pushes at most once a second however often writers publish', async () => {
    const s = await open(a);
    await s.until(() => s.events[0], 2000, 'the snapshot');
    await announce(12, 200);
    await new Promise((r) => setTimeout(r, 1200));
    const pushes = s.events.slice(1).map((e) => e.at);
    expect(pushes.length).to.be.within(2, 4);
    for (let i = 1; i < pushes.length; i++) expect(pushes[i] - pushes[i - 1]).to.be.at.least(995);
  });

  it('keeps a second between funnel frames, snapshot included, however long each push takes to load (the black-box pass measured 791-964 ms)', async function () {
    this.timeout(15_000);
    // Loads of 0 and 400 ms by turns: counted from the timer rather than from the send, a slow load then a fast one came 600 ms apart.
    let n = 0;
    const restore = wrapLoads((load) => async (...args) => {
      if (n++ % 2 === 0) await new Promise((r) => setTimeout(r, 400));
      return load(...args);
    });
    try {
      const s = await open(a, '?campaignId=live-alpha');
      await s.until(() => s.events[0], 3000, 'the snapshot');
      await announce(30, 100);
      await new Promise((r) => setTimeout(r, 1500));
      const frames = s.events.filter((e) => e.event === 'funnel').map((e) => e.at);
      expect(frames.length, 'the snapshot and pushes').to.be.within(3, 5);
      // The server keeps 1,000 ms between its writes; a few ms of loopback delivery may come off either end.
      for (let i = 1; i < frames.length; i++) expect(frames[i] - frames[i - 1], `frame ${i}`).to.be.at.least(995);
    } finally {
      restore();
    }
  });

  it('sends a change held back by a fresh snapshot once the stream\'s second is up, not a whole push interval later', async function () {
    this.timeout(10_000);
    const s = await open(a, '?campaignId=live-alpha');
    const snapshot = await s.until(() => s.events[0], 3000, 'the snapshot');
    const before = snapshot.data.data[0].clicks;
    // 700 ms after the snapshot: the push comes at once and must hold the rows back until the snapshot's second is up.
    // Held for the push's own second instead, they left at 1,700 ms and more (2,000 ms in a full run); the bound leaves
    // the early push 600 ms to load.
    await new Promise((r) => setTimeout(r, snapshot.at + 700 - Date.now()));
    await insertTraffic(a.sql, h.handle, clicksNow('live-alpha', 2));
    await announce(1, 0);
    const { event } = await s.until(() => s.funnelRow('live-alpha', 1), 3000, 'the held-back row');
    expect(event.data.data[0].clicks).to.equal(before + 2);
    expect(event.at - snapshot.at).to.be.within(995, 1600);
  });

  it('owes a stream the changes that land while its snapshot is on its way (read before them, sent after)', async function () {
    this.timeout(10_000);
    let first = true;
    let clicksInSnapshot = -1;
    const restore = wrapLoads((load) => async (...args) => {
      const funnel = await load(...args);
      if (first) {
        // The snapshot is read; before it is sent, clicks land and are announced (the push comes before the headers).
        first = false;
        clicksInSnapshot = funnel.data[0].clicks;
        await insertTraffic(a.sql, h.handle, clicksNow('live-beta', 4));
        await announce(1, 1200, ['live-beta']);
      }
      return funnel;
    });
    try {
      const s = await open(a, '?campaignId=live-beta');
      const snapshot = await s.until(() => s.events[0], 4000, 'the snapshot');
      expect(snapshot.data.data[0].clicks).to.equal(clicksInSnapshot);
      const { row } = await s.until(() => s.funnelRow('live-beta', 1), 3000, 'the live-beta row the push owed');
      expect(row.clicks).to.equal(clicksInSnapshot + 4);
    } finally {
      restore();
    }
  });

  it('filters to one campaign, and refuses unknown campaigns and other tenants before streaming', async () => {
    const s = await open(a, '?campaignId=live-beta');
    const snapshot = await s.until(() => s.events[0], 2000, 'the snapshot');
    expect(snapshot.data.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['live-beta']);
    const missing = await a.http.get(`/v2/handles/${h.handle}/analytics/stream?campaignId=nope`).set(h.auth).expect(404);
    expect(missing.body.error.code).to.equal('not_found');
    const other = await createHandle(a);
    await a.http.get(`/v2/handles/${h.handle}/analytics/stream`).set(other.auth).expect(404);
  });

  it('answers HEAD with the stream\'s headers and ends, holding no stream (it hung, headers unsent, on a stream slot)', async () => {
    const hub = a.kernel.container.resolve<AnalyticsStreams>('analyticsStreams');
    const before = hub.clientCount();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${a.url}/v2/handles/${h.handle}/analytics/stream`, { method: 'HEAD', headers: h.auth, signal: AbortSignal.timeout(2000) });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    }
    expect(hub.clientCount()).to.equal(before);
    // Still 404 for an unknown campaign, as GET.
    const missing = await fetch(`${a.url}/v2/handles/${h.handle}/analytics/stream?campaignId=nope`, { method: 'HEAD', headers: h.auth, signal: AbortSignal.timeout(2000) });
    expect(missing.status).to.equal(404);
  });

  it('sends heartbeat comments and forgets a client that hangs up', async () => {
    const hub = a.kernel.container.resolve<AnalyticsStreams>('analyticsStreams');
    const before = hub.clientCount();
    const s = await open(a);
    await s.until(() => s.comments.includes('heartbeat'), 2000, 'a heartbeat');
    expect(hub.clientCount()).to.equal(before + 1);
    s.close();
    const deadline = Date.now() + 1000;
    while (hub.clientCount() !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hub.clientCount()).to.equal(before);
  });

  it('ends a stream within a poll of its token being revoked, and keeps the others open', async () => {
    const reader = await createToken(a, h.handle, h.ownerToken, ['analytics.read']);
    const revoked = await open(a, '', reader.auth);
    const kept = await open(a);
    await revoked.until(() => revoked.events[0], 2000, 'the snapshot');
    await kept.until(() => kept.events[0], 2000, 'the snapshot');
    await a.http.delete(`/v2/handles/${h.handle}/tokens/${reader.tokenId}`).set(h.auth).expect(200);
    await revoked.until(() => revoked.ended, 3000, 'the end of the revoked stream');
    expect(revoked.events.at(-1)).to.deep.include({ event: 'close', data: { reason: 'token revoked or expired' } });
    expect(kept.ended).to.equal(false);
    // The revoked token opens nothing new either.
    const again = await SseClient.open(`${a.url}/v2/handles/${h.handle}/analytics/stream`, reader.auth);
    streams.push(again);
    expect(again.status).to.equal(401);
  });

  it('ends a stream within a poll of its token being rotated: the old secret no longer reads, the new one does', async () => {
    const reader = await createToken(a, h.handle, h.ownerToken, ['analytics.read']);
    const old = await open(a, '', reader.auth);
    await old.until(() => old.events[0], 2000, 'the snapshot');
    // Rotation keeps the token id and replaces its hash: the stream was opened with the old secret.
    const rotated = await a.http.post(`/v2/handles/${h.handle}/tokens/${reader.tokenId}/rotate`).set(h.auth).expect(200);
    await old.until(() => old.ended, 3000, 'the end of the stream opened with the old secret');
    expect(old.events.at(-1)).to.deep.include({ event: 'close', data: { reason: 'token revoked or expired' } });
    // The new secret streams, and stays open across polls.
    const fresh = await open(a, '', { Authorization: `Bearer ${rotated.body.token}` });
    await fresh.until(() => fresh.events[0], 2000, 'the snapshot with the new secret');
    await new Promise((r) => setTimeout(r, 1500));
    expect(fresh.ended).to.equal(false);
  });

  it('closes streams cleanly when the server shuts down', async function () {
    this.timeout(15_000);
    const c = await startTestServer({ db: a.db });
    const s = await SseClient.open(`${c.url}/v2/handles/${h.handle}/analytics/stream`, h.auth);
    await s.until(() => s.events[0], 2000, 'the snapshot');
    const started = Date.now();
    await c.close();
    expect(Date.now() - started).to.be.below(3000); // not the kernel's 5 s forced close
    await s.until(() => s.ended, 1000, 'the end of the stream');
    expect(s.events.at(-1)).to.deep.include({ event: 'close', data: { reason: 'server shutting down' } });
  });
});
