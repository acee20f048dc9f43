import { expect } from 'chai';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

const alpha = {
  campaignId: 'partner-alpha',
  goalType: 'AFFILIATE_CLICKOUT',
  status: 'ACTIVE',
  primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha', title: 'Partner Alpha - Product Deal' },
};
const beta = {
  campaignId: 'partner-beta',
  goalType: 'AFFILIATE_CLICKOUT',
  status: 'ACTIVE',
  primaryLink: { slug: 'deal-beta', destinationUrl: 'https://merchant.example.com/product?ref=beta', title: 'Partner Beta - Product Deal' },
};

type Auth = { Authorization: string };

describe('campaigns API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  const post = (handle: string, auth: Auth, body: unknown) => server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).send(body as object);
  const pointers = (res: { body: { error: { details?: { pointer: string }[] } } }) => (res.body.error.details ?? []).map((d) => d.pointer);

  describe('workflow 1: set up per-partner campaign tracking', () => {
    it('creates partner-alpha and partner-beta with their derived preset, conversion event and isolated short links', async () => {
      const { handle, auth } = await createHandle(server);
      const a = await post(handle, auth, alpha).expect(201);
      const b = await post(handle, auth, beta).expect(201);
      for (const [res, input] of [[a, alpha], [b, beta]] as const) {
        expect(res.body).to.include({ campaignId: input.campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE' });
        expect(res.body).to.include({ trackingPreset: 'custom_webhook', conversionEvent: 'affiliate_click', attributionWindowDays: 30 });
        expect(res.body.primaryLink).to.deep.equal({ ...input.primaryLink, shortUrl: `${server.url}/${handle}/${input.primaryLink.slug}` });
        expect(res.body.routingRules).to.deep.equal([]);
        expect(res.body.createdAt).to.match(/^\d{4}-\d\d-\d\dT.*Z$/);
      }
      expect(a.body.primaryLink.shortUrl).to.not.equal(b.body.primaryLink.shortUrl);

      const one = await server.http.get(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).expect(200);
      expect(one.body).to.deep.equal(a.body);
      const list = await server.http.get(`/v2/handles/${handle}/campaigns`).set(auth).expect(200);
      expect(list.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['partner-alpha', 'partner-beta']);
      expect(list.body.nextCursor).to.equal(null);

      const { rows } = await server.sql.query(
        `select type, campaign_id, payload from audit_events where handle = $1 and type = 'campaign.created' order by campaign_id`, [handle],
      );
      expect(rows.map((r) => r.campaign_id)).to.deep.equal(['partner-alpha', 'partner-beta']);
      expect(rows[0].payload.campaign.primaryLink.slug).to.equal('deal-alpha');
    });

    it('defaults status to DRAFT, the window to 30 days and the rules to none', async () => {
      const { handle, auth } = await createHandle(server);
      const res = await post(handle, auth, { campaignId: 'p1', goalType: 'LEAD_CAPTURE', primaryLink: { slug: 'join', destinationUrl: 'http://example.com/signup' } }).expect(201);
      expect(res.body).to.include({ status: 'DRAFT', attributionWindowDays: 30, trackingPreset: 'custom_webhook', conversionEvent: 'lead' });
      expect(res.body.primaryLink.title).to.equal(null);
    });

    it('keeps each handle to its own campaigns: the same campaignId and slug may exist in two handles', async () => {
      const one = await createHandle(server);
      const two = await createHandle(server);
      await post(one.handle, one.auth, alpha).expect(201);
      await post(two.handle, two.auth, alpha).expect(201);
      // A token of handle one never sees handle two's campaigns.
      await server.http.get(`/v2/handles/${two.handle}/campaigns/partner-alpha`).set(one.auth).expect(404);
      await server.http.get(`/v2/handles/${two.handle}/campaigns`).set(one.auth).expect(404);
    });
  });

  describe('validation', () => {
    let handle: string;
    let auth: Auth;
    before(async () => {
      ({ handle, auth } = await createHandle(server));
    });

    const cases: [string, Record<string, unknown>, string][] = [
      ['an unknown goal type', { ...alpha, goalType: 'NOPE' }, '/body/goalType'],
      ['a malformed campaignId', { ...alpha, campaignId: 'Partner Alpha' }, '/body/campaignId'],
      ['a malformed slug', { ...alpha, primaryLink: { ...alpha.primaryLink, slug: 'deal/alpha' } }, '/body/primaryLink/slug'],
      ['an ftp destination', { ...alpha, primaryLink: { ...alpha.primaryLink, destinationUrl: 'ftp://merchant.example.com/x' } }, '/body/primaryLink/destinationUrl'],
      ['a javascript: destination', { ...alpha, primaryLink: { ...alpha.primaryLink, destinationUrl: 'javascript:alert(1)' } }, '/body/primaryLink/destinationUrl'],
      ['a relative destination', { ...alpha, primaryLink: { ...alpha.primaryLink, destinationUrl: '/product' } }, '/body/primaryLink/destinationUrl'],
      ['an unknown status', { ...alpha, status: 'LIVE' }, '/body/status'],
      ['an unknown field', { ...alpha, partner: 'alpha' }, '/body/partner'],
      ['a window of 366 days', { ...alpha, attributionWindowDays: 366 }, '/body/attributionWindowDays'],
      ['a lower-case country', { ...alpha, routingRules: [{ priority: 1, destinationUrl: 'https://m.example.com/de', conditions: { countryIn: ['de'] } }] }, '/body/routingRules/0/conditions/countryIn/0'],
      ['a code that is no country (API.md: ISO-3166 alpha-2)', { ...alpha, routingRules: [{ priority: 1, destinationUrl: 'https://m.example.com/x', conditions: { countryIn: ['DE', 'XX'] } }] }, '/body/routingRules/0/conditions/countryIn/1'],
      ['an unknown condition kind', { ...alpha, routingRules: [{ priority: 1, destinationUrl: 'https://m.example.com/x', conditions: { planetIn: ['mars'] } }] }, '/body/routingRules/0/conditions/planetIn'],
      ['an unknown device', { ...alpha, routingRules: [{ priority: 1, destinationUrl: 'https://m.example.com/x', conditions: { deviceIn: ['phone'] } }] }, '/body/routingRules/0/conditions/deviceIn/0'],
      ['a rule without priority', { ...alpha, routingRules: [{ destinationUrl: 'https://m.example.com/x', conditions: {} }] }, '/body/routingRules/0/priority'],
      ['a rule to an ftp destination', { ...alpha, routingRules: [{ priority: 1, destinationUrl: 'ftp://m.example.com/x', conditions: { sourceIn: ['email'] } }] }, '/body/routingRules/0/destinationUrl'],
      ['51 rules', { ...alpha, routingRules: Array.from({ length: 51 }, (_, i) => ({ priority: i, destinationUrl: 'https://m.example.com/x', conditions: {} })) }, '/body/routingRules'],
      ["the goal type's own rule (SALE: window at most 90 days)", { ...alpha, goalType: 'SALE', attributionWindowDays: 120 }, '/body'],
    ];
    for (const [what, body, pointer] of cases) {
      it(`refuses ${what} with 400 pointing at ${pointer}`, async () => {
        const res = await post(handle, auth, body).expect(400);
        expect(res.body.error.code).to.equal('invalid_request');
        expect(pointers(res)).to.include(pointer);
      });
    }

    it('lists every failing field in one answer: the schema\'s and those of the checks beyond it (API.md: details lists each failing field)', async () => {
      const res = await post(handle, auth, { campaignId: 'BAD', goalType: 'NOPE', primaryLink: { slug: 'zz', destinationUrl: 'ftp://x/' } }).expect(400);
      expect(pointers(res)).to.have.members(['/body/campaignId', '/body/goalType', '/body/primaryLink/destinationUrl']);
      const rules = await post(handle, auth, {
        ...alpha,
        campaignId: 'Bad Id',
        maxConversionValue: 1.234,
        routingRules: [
          { destinationUrl: 'ftp://m.example.com/x', conditions: {} },
          { priority: 2, destinationUrl: 'https://m.example.com/y', conditions: { deviceIn: ['phone'] } },
        ],
      }).expect(400);
      expect(pointers(rules)).to.have.members([
        '/body/campaignId',
        '/body/maxConversionValue',
        '/body/routingRules/0/priority',
        '/body/routingRules/0/destinationUrl',
        '/body/routingRules/1/conditions/deviceIn/0',
      ]);
      // A field the schema refused is said once, and one of the wrong type is not judged further.
      const typed = await post(handle, auth, { ...alpha, campaignId: 'Bad Id', primaryLink: { ...alpha.primaryLink, destinationUrl: 42 } }).expect(400);
      expect(pointers(typed)).to.have.members(['/body/campaignId', '/body/primaryLink/destinationUrl']);
      expect(pointers(typed)).to.have.length(2);
      const created = await post(handle, auth, { ...alpha, campaignId: 'all-fields', primaryLink: { ...alpha.primaryLink, slug: 'all-fields' } }).expect(201);
      const patch = await server.http.patch(`/v2/handles/${handle}/campaigns/${created.body.campaignId}`).set(auth).send({ slug: 'new', destinationUrl: 'mailto:a@b.c', maxConversionValue: 0.001 }).expect(400);
      expect(pointers(patch)).to.have.members(['/body/slug', '/body/destinationUrl', '/body/maxConversionValue']);
      const after = await server.http.get(`/v2/handles/${handle}/campaigns/${created.body.campaignId}`).set(auth).expect(200);
      expect(after.body.primaryLink, 'the refused PATCH changed nothing').to.deep.equal(created.body.primaryLink);
    });

    it('refuses a goal type the handle disabled', async () => {
      const own = await createHandle(server);
      await server.http.put(`/v2/handles/${own.handle}/plugins/AFFILIATE_CLICKOUT`).set(own.auth).send({ enabled: false }).expect(200);
      const res = await post(own.handle, own.auth, alpha).expect(400);
      expect(pointers(res)).to.deep.equal(['/body/goalType']);
      await post(own.handle, own.auth, { ...alpha, goalType: 'SALE' }).expect(201);
    });

    it('answers malformed JSON and a wrong media type without a 500', async () => {
      await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).set('content-type', 'application/json').send('{"campaignId":').expect(400);
      await server.http.post(`/v2/handles/${handle}/campaigns`).set(auth).set('content-type', 'text/plain').send('hello').expect(415);
    });

    it('refuses a duplicate campaignId or slug in the handle with 409', async () => {
      const own = await createHandle(server);
      await post(own.handle, own.auth, alpha).expect(201);
      const dupId = await post(own.handle, own.auth, { ...alpha, primaryLink: { ...alpha.primaryLink, slug: 'other' } }).expect(409);
      expect(dupId.body.error.code).to.equal('conflict');
      expect(dupId.body.error.message).to.include('partner-alpha');
      const dupSlug = await post(own.handle, own.auth, { ...beta, primaryLink: { ...beta.primaryLink, slug: 'deal-alpha' } }).expect(409);
      expect(dupSlug.body.error.message).to.include('deal-alpha');
    });

    it('needs campaigns.write to create and campaigns.read to read', async () => {
      const own = await createHandle(server);
      const reader = await createToken(server, own.handle, own.ownerToken, ['campaigns.read']);
      const res = await post(own.handle, reader.auth, alpha).expect(403);
      expect(res.body.error.code).to.equal('insufficient_scope');
      await post(own.handle, { Authorization: 'Bearer nope' }, alpha).expect(401);
      await server.http.get(`/v2/handles/${own.handle}/campaigns`).set(reader.auth).expect(200);
    });
  });

  describe('changes: PATCH and DELETE (archive)', () => {
    it('patches the destination, title, rules and window; audits the diff and emits campaign.updated', async () => {
      const { handle, auth } = await createHandle(server);
      await post(handle, auth, alpha).expect(201);
      const rules = [{ priority: 10, destinationUrl: 'https://merchant.example.com/product?ref=alpha&src=email', conditions: { sourceIn: ['email'] } }];
      const res = await server.http
        .patch(`/v2/handles/${handle}/campaigns/partner-alpha`)
        .set(auth)
        .send({ destinationUrl: 'https://merchant.example.com/v2?ref=alpha', title: 'New title', routingRules: rules, attributionWindowDays: 7 })
        .expect(200);
      expect(res.body.primaryLink).to.include({ destinationUrl: 'https://merchant.example.com/v2?ref=alpha', title: 'New title', slug: 'deal-alpha' });
      expect(res.body.routingRules).to.deep.equal(rules);
      expect(res.body.attributionWindowDays).to.equal(7);
      expect(new Date(res.body.updatedAt).getTime()).to.be.greaterThan(new Date(res.body.createdAt).getTime());

      const audit = await server.sql.query(`select payload, actor from audit_events where handle = $1 and type = 'campaign.updated'`, [handle]);
      expect(audit.rows).to.have.length(1);
      expect(audit.rows[0].payload.before).to.deep.equal({
        destinationUrl: alpha.primaryLink.destinationUrl, title: alpha.primaryLink.title, routingRules: [], attributionWindowDays: 30,
      });
      expect(audit.rows[0].payload.after).to.include({ destinationUrl: 'https://merchant.example.com/v2?ref=alpha', title: 'New title', attributionWindowDays: 7 });
      const outbox = await server.sql.query(`select payload from outbox_events where handle = $1 and type = 'campaign.updated'`, [handle]);
      expect(outbox.rows).to.have.length(1);
      expect(outbox.rows[0].payload).to.include({ campaignId: 'partner-alpha', change: 'updated' });

      // The same values again change nothing: no new audit event.
      await server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send({ title: 'New title' }).expect(200);
      const again = await server.sql.query(`select count(*)::int as n from audit_events where handle = $1 and type = 'campaign.updated'`, [handle]);
      expect(again.rows[0].n).to.equal(1);
    });

    it('validates a PATCH like a creation (400 with pointers, 404 for an unknown campaign or an id none can have)', async () => {
      const { handle, auth } = await createHandle(server);
      await post(handle, auth, { ...alpha, goalType: 'SALE' }).expect(201);
      const patch = (body: object) => server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send(body);
      expect(pointers(await patch({ destinationUrl: 'mailto:a@b.c' }).expect(400))).to.deep.equal(['/body/destinationUrl']);
      expect(pointers(await patch({}).expect(400))).to.deep.equal(['/body']);
      expect(pointers(await patch({ slug: 'new' }).expect(400))).to.deep.equal(['/body/slug']);
      expect(pointers(await patch({ attributionWindowDays: 100 }).expect(400))).to.deep.equal(['/body']); // SALE: at most 90
      expect(pointers(await patch({ routingRules: [{ priority: 1, destinationUrl: 'https://x.example.com', conditions: { languageIn: ['EN'] } }] }).expect(400)))
        .to.deep.equal(['/body/routingRules/0/conditions/languageIn/0']);
      await server.http.patch(`/v2/handles/${handle}/campaigns/nope`).set(auth).send({ status: 'PAUSED' }).expect(404);
      const badId = await server.http.patch(`/v2/handles/${handle}/campaigns/Bad_Id`).set(auth).send({ status: 'PAUSED' }).expect(404);
      expect(pointers(badId)).to.deep.equal(['/params/campaignId']);
    });

    it('keeps a campaign whose stored rules predate a stricter check patchable, and checks rules a PATCH sends', async () => {
      const { handle, auth } = await createHandle(server);
      await post(handle, auth, alpha).expect(201);
      // countryIn took any two capitals before it took ISO-3166 codes only: a rule stored then.
      const legacy = [{ priority: 1, destinationUrl: 'https://m.example.com/uk', conditions: { countryIn: ['UK'] } }];
      await server.sql.query(`update campaigns set routing_rules = $3 where handle = $1 and campaign_id = $2`, [handle, 'partner-alpha', JSON.stringify(legacy)]);
      const patch = (body: object) => server.http.patch(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).send(body);
      expect((await patch({ status: 'PAUSED' }).expect(200)).body.routingRules).to.deep.equal(legacy);
      expect(pointers(await patch({ routingRules: legacy }).expect(400))).to.deep.equal(['/body/routingRules/0/conditions/countryIn/0']);
      await patch({ routingRules: [{ ...legacy[0], conditions: { countryIn: ['GB'] } }] }).expect(200);
    });

    it('archives with DELETE: status ARCHIVED, audited, campaign.updated emitted, still listed and readable', async () => {
      const { handle, auth } = await createHandle(server);
      await post(handle, auth, alpha).expect(201);
      await post(handle, auth, beta).expect(201);
      const res = await server.http.delete(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).expect(200);
      expect(res.body.status).to.equal('ARCHIVED');
      const got = await server.http.get(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).expect(200);
      expect(got.body.status).to.equal('ARCHIVED');
      const archived = await server.http.get(`/v2/handles/${handle}/campaigns?status=ARCHIVED`).set(auth).expect(200);
      expect(archived.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['partner-alpha']);
      const audit = await server.sql.query(`select payload from audit_events where handle = $1 and type = 'campaign.archived'`, [handle]);
      expect(audit.rows[0].payload).to.deep.equal({ before: { status: 'ACTIVE' }, after: { status: 'ARCHIVED' } });
      const outbox = await server.sql.query(`select payload from outbox_events where handle = $1 and type = 'campaign.updated'`, [handle]);
      expect(outbox.rows[0].payload).to.include({ campaignId: 'partner-alpha', change: 'archived' });
      // Archiving twice is harmless; the slug stays taken by the archived campaign.
      await server.http.delete(`/v2/handles/${handle}/campaigns/partner-alpha`).set(auth).expect(200);
      await post(handle, auth, { ...alpha, campaignId: 'partner-gamma' }).expect(409);
      await server.http.delete(`/v2/handles/${handle}/campaigns/nope`).set(auth).expect(404);
    });

    it('lists with an opaque cursor and a status filter', async () => {
      const { handle, auth } = await createHandle(server);
      for (let i = 0; i < 5; i++) {
        await post(handle, auth, { ...alpha, campaignId: `p-${i}`, status: i % 2 ? 'PAUSED' : 'ACTIVE', primaryLink: { ...alpha.primaryLink, slug: `s-${i}` } }).expect(201);
      }
      const first = await server.http.get(`/v2/handles/${handle}/campaigns?limit=2`).set(auth).expect(200);
      const second = await server.http.get(`/v2/handles/${handle}/campaigns?limit=2&cursor=${first.body.nextCursor}`).set(auth).expect(200);
      const third = await server.http.get(`/v2/handles/${handle}/campaigns?limit=2&cursor=${second.body.nextCursor}`).set(auth).expect(200);
      expect(third.body.nextCursor).to.equal(null);
      const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((c: { campaignId: string }) => c.campaignId);
      expect(ids).to.deep.equal(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
      const paused = await server.http.get(`/v2/handles/${handle}/campaigns?status=PAUSED`).set(auth).expect(200);
      expect(paused.body.data.map((c: { campaignId: string }) => c.campaignId)).to.deep.equal(['p-1', 'p-3']);
      await server.http.get(`/v2/handles/${handle}/campaigns?cursor=garbage`).set(auth).expect(400);
      await server.http.get(`/v2/handles/${handle}/campaigns?status=LIVE`).set(auth).expect(400);
    });
  });
});
