import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/server.ts';

// Issue 12 item 9: /metrics shows route names, volumes and internals; the operator can close it.
describe('GET /metrics with METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdef';
  let server: TestServer;
  before(async () => { server = await startTestServer({ env: { METRICS_TOKEN } }); });
  after(async () => server?.close());

  it('answers 401 unauthorized without the token or with a wrong one', async () => {
    const none = await server.http.get('/metrics').expect(401);
    expect(none.body.error.code).to.equal('unauthorized');
    await server.http.get('/metrics').set({ Authorization: `Bearer ${METRICS_TOKEN}x` }).expect(401);
    // The admin token is another secret: it does not open /metrics either.
    await server.http.get('/metrics').set(server.admin()).expect(401);
  });

  it('serves Prometheus text with the bearer METRICS_TOKEN', async () => {
    const res = await server.http.get('/metrics').set({ Authorization: `Bearer ${METRICS_TOKEN}` }).expect(200);
    expect(res.text).to.include('tenx_http_request_duration_seconds');
  });

  it('stays public when METRICS_TOKEN is not set', async () => {
    const open = await startTestServer();
    try {
      await open.http.get('/metrics').expect(200);
    } finally {
      await open.close();
    }
  });
});
