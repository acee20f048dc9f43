import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { partnerCampaign } from '../support/conversions.ts';
import { createPartner, holdSinceCreation, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Contract pass: the export streams one row per click of the window asked for (API.md, `[&from=&to=]`). It read
// its rows through the window the rollup views use, widened to whole hours, so `from=10:15&to=10:30` also gave the
// clicks of 10:10 and 10:40, and an integrator exporting in successive windows got the same click twice.
describe('contract pass: export windows are the instants asked for', function () {
  this.timeout(30_000);
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  let partner: { auth: Record<string, string> };

  const at = ['2026-02-25T10:10:00.000Z', '2026-02-25T10:20:00.000Z', '2026-02-25T10:40:00.000Z'];

  before(async () => {
    server = await startTestServer({ redis: false });
    h = await partnerCampaign(server);
    await createPartner(server, h, 'ana');
    await holdSinceCreation(server, h, h.campaignId, 'ana');
    partner = await partnerToken(server, h, 'ana');
    for (const t of at) {
      await server.sql.query(
        `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, is_bot)
         values ($1, $2, $3, $4, 'DE', 'desktop', 'desktop', 'direct', 'https://merchant.example.com/', false)`,
        [uuidv7({ msecs: Date.parse(t) }), h.handle, h.campaignId, t],
      );
    }
  });
  after(async () => server?.close());

  const exported = async (path: string, auth: Record<string, string>, q: string) => {
    const res = await server.http.get(`${path}?format=ndjson&${q}`).set(auth).expect(200);
    return res.text.trimEnd().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { occurredAt: string }).occurredAt).sort();
  };

  it('gives the handle the clicks in [from, to) and no other click of the same hours', async () => {
    const path = `/v2/handles/${h.handle}/analytics/export`;
    expect(await exported(path, h.auth, 'from=2026-02-25T10:15:00Z&to=2026-02-25T10:30:00Z')).to.deep.equal([at[1]]);
    expect(await exported(path, h.auth, 'from=2026-02-25T10:15:00Z')).to.deep.equal([at[1], at[2]]);
    expect(await exported(path, h.auth, 'to=2026-02-25T10:30:00Z')).to.deep.equal([at[0], at[1]]);
    // `from` inclusive, `to` exclusive, to the millisecond clicks are stored with, a finer time included.
    expect(await exported(path, h.auth, 'from=2026-02-25T10:20:00Z&to=2026-02-25T10:40:00Z')).to.deep.equal([at[1]]);
    expect(await exported(path, h.auth, 'from=2026-02-25T10:20:00.000001Z&to=2026-02-25T10:40:00.000001Z')).to.deep.equal([at[2]]);
    // Whole hours, as before.
    expect(await exported(path, h.auth, 'from=2026-02-25T10:00:00Z&to=2026-02-25T11:00:00Z')).to.deep.equal(at);
  });

  it('gives a partner its own clicks in [from, to) the same way', async () => {
    const path = `/v2/handles/${h.handle}/partner/analytics/export`;
    expect(await exported(path, partner.auth, 'from=2026-02-25T10:15:00Z&to=2026-02-25T10:30:00Z')).to.deep.equal([at[1]]);
    expect(await exported(path, partner.auth, 'from=2026-02-25T10:30:00%2B00:00')).to.deep.equal([at[2]]);
  });
});
