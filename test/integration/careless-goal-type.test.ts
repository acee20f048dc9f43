import { expect } from 'chai';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// Black-box pass: a goal type's validateCampaign() that threw answered POST .../campaigns with a 500.
describe("a goal type's own campaign check that throws is a 400 naming the goal type, not a 500", function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ redis: false, env: { PLUGINS: './test/fixtures/plugins/careless-goal/index.ts' } });
  });
  after(() => server?.close());

  const create = (handle: string, auth: { Authorization: string }, campaignId: string) =>
    server.http
      .post(`/v2/handles/${handle}/campaigns`)
      .set(auth)
      .send({
        campaignId,
        goalType: 'CARELESS_GOAL',
        status: 'ACTIVE',
        primaryLink: { slug: campaignId, destinationUrl: 'https://merchant.example.com/' },
      });

  it('refuses with the failure as a detail when the check throws or answers no list, and keeps its own refusals', async () => {
    const { handle, auth } = await createHandle(server);
    const boom = await create(handle, auth, 'boom-1');
    expect(boom.status).to.equal(400);
    expect(boom.body.error.code).to.equal('invalid_request');
    expect(boom.body.error.details).to.deep.equal([
      { pointer: '/body', message: 'the goal type CARELESS_GOAL could not check this campaign: settings.partnerTiers is undefined' },
    ]);
    const empty = await create(handle, auth, 'void-1');
    expect(empty.status).to.equal(400);
    expect(empty.body.error.details[0].message).to.match(
      /^the goal type CARELESS_GOAL could not check this campaign: validateCampaign\(\) did not return/,
    );
    // An async check: refused as such, and its rejection is never unhandled (the test process would end on it).
    const later = await create(handle, auth, 'later-1');
    expect(later.status).to.equal(400);
    expect(later.body.error.details[0].message).to.match(/could not check this campaign: validateCampaign\(\) returned a Promise/);
    await new Promise((r) => setTimeout(r, 50));
    const refused = await create(handle, auth, 'no-1');
    expect(refused.status).to.equal(400);
    expect(refused.body.error.details).to.deep.equal([
      { pointer: '/body', message: 'campaign ids with "no" are refused by this goal type' },
    ]);
    expect((await create(handle, auth, 'fine-1')).status).to.equal(201);
    const { rows } = await server.sql.query('select campaign_id from campaigns where handle = $1', [handle]);
    expect(rows.map((r) => r.campaign_id)).to.deep.equal(['fine-1']);
  });
});
