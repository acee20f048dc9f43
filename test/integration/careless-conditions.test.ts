import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { metric } from '../support/redirect.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// An integrator's pass: a goal type's routing condition that threw was swallowed without a trace (the click went on to
// the next rule, as it should), so its author could not tell the condition was broken. Now each throw is counted
// (tenx_routing_condition_errors_total) and logged once a minute per condition, inline and in the offload workers.
for (const mode of ['inline', 'workers'] as const) {
  describe(`a routing condition that throws (REDIRECT_OFFLOAD=${mode}): the rule does not apply, and it is counted and logged`, function () {
    this.timeout(30_000);
    let server: TestServer;
    const logs: Array<{ msg?: string; condition?: string; err?: string; campaignId?: string; goalType?: string }> = [];
    before(async () => {
      const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
      server = await startTestServer({
        redis: false,
        log: pino({ level: 'warn' }, sink),
        env: { PLUGINS: './test/fixtures/plugins/careless-goal/index.ts', REDIRECT_OFFLOAD: mode },
      });
    });
    after(() => server?.close());

    it('sends the click on to the next rule, counts every throw and logs the first with the condition and its error', async () => {
      const { handle, auth } = await createHandle(server);
      await server.http
        .post(`/v2/handles/${handle}/campaigns`)
        .set(auth)
        .send({
          campaignId: 'tiers', goalType: 'CARELESS_GOAL', status: 'ACTIVE',
          primaryLink: { slug: 'tiers', destinationUrl: 'https://merchant.example.com/' },
          routingRules: [
            { priority: 1, destinationUrl: 'https://broken.example/', conditions: { explodes: true } },
            { priority: 2, destinationUrl: 'https://next.example/', conditions: { languageIn: ['en'] } },
          ],
        })
        .expect(201);
      const before = await metric(server, 'tenx_routing_condition_errors_total', 'condition="explodes"');
      const answered = await metric(server, 'tenx_redirects_total', `mode="${mode}"`);
      for (let i = 0; i < 3; i++) {
        const res = await server.http
          .get(`/${handle}/tiers`)
          .set({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'accept-language': 'en-US,en;q=0.9' })
          .redirects(0)
          .expect(302);
        expect(new URL(res.headers.location).origin).to.equal('https://next.example');
      }
      expect((await metric(server, 'tenx_routing_condition_errors_total', 'condition="explodes"')) - before).to.equal(3);
      expect((await metric(server, 'tenx_redirects_total', `mode="${mode}"`)) - answered, `answered ${mode}`).to.equal(3);
      const lines = logs.filter((l) => l.msg?.startsWith('routing condition threw'));
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ condition: 'explodes', err: 'tiers is not iterable', campaignId: 'tiers', goalType: 'CARELESS_GOAL' });
    });
  });
}
