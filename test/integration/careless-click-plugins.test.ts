import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { partnerCampaign } from '../support/conversions.ts';
import { metric } from '../support/redirect.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventually } from '../support/webhooks.ts';

// Black-box pass: a plugin's segment or bot reason went into the click batch as it came. One visitor's
// `?flag=x%00y` through a detector that copies a parameter into its reason put U+0000 in a text array:
// PostgreSQL refused the batch, and every later click of every handle on that process stayed in memory,
// retried forever (tenx_clicks_stored_total 0). A number for a segment or a reason threw after the
// answer and the click was lost; a detector that never answered lost its click and held up shutdown.
describe('plugins that answer carelessly never cost a click', function () {
  this.timeout(30_000);
  let server: TestServer;
  const logs: Array<{ msg?: string; plugin?: string; suppressed?: number }> = [];
  before(async () => {
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
    server = await startTestServer({
      redis: false,
      log: pino({ level: 'warn' }, sink),
      env: { PLUGINS: './test/fixtures/plugins/careless-detector/index.ts,./test/fixtures/plugins/careless-preset/index.ts' },
    });
  });
  after(() => server?.close());

  const visit = (handle: string, slug: string, query: string) =>
    server.http
      .get(`/${handle}/${slug}?${query}`)
      .set({
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        'accept-language': 'en-US,en;q=0.9',
        accept: 'text/html',
      })
      .redirects(0)
      .expect(302);
  const clicks = async (handle: string) =>
    (await server.sql.query('select segment, is_bot, bot_reason from clicks where handle = $1 order by occurred_at, click_id', [handle]))
      .rows;

  it("stores a visitor's U+0000 and control characters without them, and every other handle's clicks go on being stored", async () => {
    const a = await partnerCampaign(server);
    const b = await partnerCampaign(server);
    await visit(b.handle, b.slug, 'flag=x%00y%0Az');
    await visit(b.handle, b.slug, 'seg=news%00letter');
    for (let i = 0; i < 3; i++) await visit(a.handle, a.slug, 'utm_source=email');
    const stored = await eventually(
      async () => ((await clicks(a.handle)).length === 3 ? clicks(b.handle) : undefined),
      8_000,
      "handle A's three clicks",
    );
    expect(stored).to.deep.equal([
      { segment: 'desktop', is_bot: true, bot_reason: 'flag:xyz' },
      { segment: 'newsletter', is_bot: false, bot_reason: null },
    ]);
  });

  it('stores the click when a segment or a reason is not a string: the device class, and "unspecified"', async () => {
    const c = await partnerCampaign(server);
    await visit(c.handle, c.slug, 'seg=number');
    await visit(c.handle, c.slug, 'numeric=1');
    const stored = await eventually(
      async () => ((await clicks(c.handle)).length === 2 ? clicks(c.handle) : undefined),
      8_000,
      'both clicks',
    );
    expect(stored).to.deep.equal([
      { segment: 'desktop', is_bot: false, bot_reason: null },
      { segment: 'desktop', is_bot: true, bot_reason: 'unspecified' },
    ]);
  });

  it("stores a click whose detector never answers, without that detector's verdict, once its deadline passed", async () => {
    const d = await partnerCampaign(server);
    const started = Date.now();
    await visit(d.handle, d.slug, 'hang=1');
    const stored = await eventually(async () => ((await clicks(d.handle)).length === 1 ? clicks(d.handle) : undefined), 8_000, 'the click');
    expect(stored).to.deep.equal([{ segment: 'desktop', is_bot: false, bot_reason: null }]);
    // The deadline is 2 s, checked every 0.5 s: stored between 1.5 and a little over 2 s after the answer.
    expect(Date.now() - started).to.be.within(1_400, 6_000);
    expect(server.kernel.container.resolve<{ inProgress: number }>('clickRecorder').inProgress).to.equal(0);
  });

  it('counts a detector that fails on every click, and logs it once a minute, not once a click', async () => {
    const e = await partnerCampaign(server);
    // The same series before and after (counters are per test process: another file's detectors count in it too).
    const failed = () => metric(server, 'tenx_click_judgements_skipped_total', 'detector="careless-detector",reason="failed"');
    const failedBefore = await failed();
    for (let i = 0; i < 30; i++) await visit(e.handle, e.slug, 'throw=1');
    const stored = await eventually(async () => ((await clicks(e.handle)).length === 30 ? clicks(e.handle) : undefined), 8_000, 'the clicks');
    expect(stored.every((c) => c.is_bot === false)).to.equal(true);
    expect((await failed()) - failedBefore).to.equal(30);
    expect(logs.filter((l) => l.msg === 'bot detector failed; its verdict is skipped')).to.have.length(1);
  });
});
