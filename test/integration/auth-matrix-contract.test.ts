import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { PARTNER_SCOPES, SCOPES, type RouteDef } from '../../core/http/route.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

// What each route needs, written from API.md, not read from the route definitions (auth-matrix.test.ts reads those, so
// a route guarded by the wrong scope passed there). `named`: the contract says it in the route's sentence; `implied`:
// its family's rule (GET lists and reads take the family's .read, changes its .write; tokens have only tokens.write).
// A route that is not here fails the first test: a new route needs its row, from the contract.
type Need = { scope: string } | { partner: string } | 'admin' | 'token';
const CONTRACT: Record<string, Need> = {
  'POST /v2/handles': 'admin', // named
  'GET /v2/handles/{handle}': 'token', // not in API.md: its name and currency, which every page of the dashboard shows
  'PATCH /v2/handles/{handle}': { scope: 'conversions.write' }, // publicConversions (v2.1, merchant side): tightened with it; a rename or a loosening needs every scope
  'POST /v2/handles/{handle}/tokens': { scope: 'tokens.write' }, // named
  'GET /v2/handles/{handle}/tokens': { scope: 'tokens.write' }, // implied: the family has no .read
  'GET /v2/handles/{handle}/tokens/current': 'token', // any token may ask what it holds
  'DELETE /v2/handles/{handle}/tokens/{tokenId}': { scope: 'tokens.write' },
  'POST /v2/handles/{handle}/tokens/{tokenId}/rotate': { scope: 'tokens.write' },
  'GET /v2/handles/{handle}/plugins': { scope: 'plugins.read' },
  'GET /v2/handles/{handle}/plugins/{name}': { scope: 'plugins.read' }, // not in API.md: one entry of the list, same scope
  'PUT /v2/handles/{handle}/plugins/{name}': { scope: 'plugins.write' },
  'POST /v2/handles/{handle}/campaigns': { scope: 'campaigns.write' }, // named
  'GET /v2/handles/{handle}/campaigns': { scope: 'campaigns.read' },
  'GET /v2/handles/{handle}/campaigns/{campaignId}': { scope: 'campaigns.read' },
  'PATCH /v2/handles/{handle}/campaigns/{campaignId}': { scope: 'campaigns.write' },
  'DELETE /v2/handles/{handle}/campaigns/{campaignId}': { scope: 'campaigns.write' },
  'GET /v2/handles/{handle}/analytics': { scope: 'analytics.read' }, // named
  'GET /v2/handles/{handle}/analytics/export': { scope: 'analytics.read' },
  'GET /v2/handles/{handle}/analytics/stream': { scope: 'analytics.read' }, // named
  'GET /v2/handles/{handle}/audit-events': { scope: 'audit.read' }, // named (v2.1)
  'POST /v2/handles/{handle}/webhooks': { scope: 'webhooks.write' }, // named (seed)
  'GET /v2/handles/{handle}/webhooks': { scope: 'webhooks.read' },
  'GET /v2/handles/{handle}/webhooks/{webhookId}': { scope: 'webhooks.read' },
  'PATCH /v2/handles/{handle}/webhooks/{webhookId}': { scope: 'webhooks.write' },
  'DELETE /v2/handles/{handle}/webhooks/{webhookId}': { scope: 'webhooks.write' },
  'POST /v2/handles/{handle}/webhooks/{webhookId}/rotate-secret': { scope: 'webhooks.write' },
  'POST /v2/handles/{handle}/webhooks/{webhookId}/ping': { scope: 'webhooks.write' },
  'GET /v2/handles/{handle}/notifications': { scope: 'notifications.read' }, // named
  'GET /v2/handles/{handle}/notifications/{deliveryId}': { scope: 'notifications.read' },
  'POST /v2/handles/{handle}/notifications/{deliveryId}/redeliver': { scope: 'webhooks.write' }, // a new attempt is a change
  'POST /v2/handles/{handle}/partners': { scope: 'partners.write' }, // named (v2.1)
  'GET /v2/handles/{handle}/partners': { scope: 'partners.read' }, // named
  'GET /v2/handles/{handle}/partners/{partnerId}': { scope: 'partners.read' },
  'PATCH /v2/handles/{handle}/partners/{partnerId}': { scope: 'partners.write' },
  'POST /v2/handles/{handle}/partners/{partnerId}/tokens': { scope: 'partners.write' }, // named
  'GET /v2/handles/{handle}/partners/{partnerId}/tokens': { scope: 'partners.write' }, // as the handle's own tokens: write only
  'DELETE /v2/handles/{handle}/partners/{partnerId}/tokens/{tokenId}': { scope: 'partners.write' },
  'GET /v2/handles/{handle}/conversions': { scope: 'conversions.read' }, // named
  'GET /v2/handles/{handle}/conversions/{conversionId}': { scope: 'conversions.read' },
  'POST /v2/handles/{handle}/conversions/reversals': { scope: 'conversions.write' }, // named
  'GET /v2/handles/{handle}/rewards': { scope: 'commissions.read' },
  'GET /v2/handles/{handle}/rewards/{rewardId}': { scope: 'commissions.read' },
  'PUT /v2/handles/{handle}/rewards/{rewardId}': { scope: 'commissions.write' }, // named
  'DELETE /v2/handles/{handle}/rewards/{rewardId}': { scope: 'commissions.write' },
  'GET /v2/handles/{handle}/commissions': { scope: 'commissions.read' }, // named
  'GET /v2/handles/{handle}/commissions/{commissionId}': { scope: 'commissions.read' },
  'PATCH /v2/handles/{handle}/commissions/{commissionId}': { scope: 'commissions.write' }, // named
  'POST /v2/handles/{handle}/commissions/bulk': { scope: 'commissions.write' },
  'POST /v2/handles/{handle}/payouts': { scope: 'payouts.write' }, // named
  'GET /v2/handles/{handle}/payouts': { scope: 'payouts.read' },
  'GET /v2/handles/{handle}/payouts/{payoutId}': { scope: 'payouts.read' },
  'GET /v2/handles/{handle}/payouts/{payoutId}/statement': { scope: 'payouts.read' },
  'POST /v2/handles/{handle}/payouts/{payoutId}/mark-paid': { scope: 'payouts.write' },
  'POST /v2/handles/{handle}/payouts/{payoutId}/cancel': { scope: 'payouts.write' },
  // The partner realm: partner.read unless said (named).
  'GET /v2/handles/{handle}/partner': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/token': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/campaigns': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/analytics': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/analytics/export': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/analytics/stream': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/conversions': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/commissions': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/payouts': { partner: 'partner.read' },
  'GET /v2/handles/{handle}/partner/payout-terms': { partner: 'partner.read' }, // beyond API.md: the realm's reads take partner.read
  'GET /v2/handles/{handle}/partner/payouts/{payoutId}': { partner: 'partner.read' }, // beyond API.md: the realm's reads take partner.read
  'GET /v2/handles/{handle}/partner/payouts/{payoutId}/statement': { partner: 'partner.read' }, // beyond API.md, as the handle's statement
  'GET /v2/handles/{handle}/partner/postbacks': { partner: 'partner.read' },
  'POST /v2/handles/{handle}/partner/postbacks': { partner: 'partner.postbacks.write' },
  'DELETE /v2/handles/{handle}/partner/postbacks/{postbackId}': { partner: 'partner.postbacks.write' },
  'GET /v2/handles/{handle}/partner/postbacks/{postbackId}/deliveries': { partner: 'partner.read' },
};

const key = (r: RouteDef) => `${r.method} ${r.path}`;
const isGuarded = (r: RouteDef) => r.auth !== 'public';
const isStream = (r: RouteDef) => r.path.endsWith('/stream');
const pathFor = (r: RouteDef, handle: string) =>
  r.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'handle' ? handle : name === 'campaignId' || name === 'partnerId' || name === 'name' ? 'x-nope' : uuidv7()));

describe('auth matrix against the contract: who gets through, and every kind of dead token', function () {
  this.timeout(120_000);
  let server: TestServer;
  let routes: RouteDef[];
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  let foreign: Awaited<ReturnType<typeof partnerCampaign>>;

  /** The answer's status; a stream is read only as far as its status (it would not end). */
  async function status(route: RouteDef, headers: Record<string, string>, handle = h.handle): Promise<{ status: number; code?: string }> {
    const url = `${server.url}${pathFor(route, handle)}`;
    const abort = new AbortController();
    const res = await fetch(url, {
      method: route.method, headers: { ...headers, ...(route.body && { 'content-type': 'application/json' }) },
      body: route.body ? '{}' : undefined, signal: abort.signal,
    });
    if (isStream(route) && res.status === 200) {
      abort.abort();
      return { status: 200 };
    }
    const text = await res.text();
    return { status: res.status, code: text.startsWith('{') ? (JSON.parse(text) as { error?: { code: string } }).error?.code : undefined };
  }

  before(async () => {
    server = await startTestServer();
    routes = server.kernel.container.resolve<RouteDef[]>('routeTable').filter(isGuarded);
    h = await partnerCampaign(server);
    foreign = await partnerCampaign(server);
    await createPartner(server, h, 'own');
    await createPartner(server, foreign, 'own');
  });
  after(async () => server?.close());

  it('has a contract row for every guarded route, and each route needs what its row says', () => {
    const missing = routes.filter((r) => !(key(r) in CONTRACT)).map(key);
    expect(missing, 'routes with no row in CONTRACT').to.deep.equal([]);
    const gone = Object.keys(CONTRACT).filter((k) => !routes.some((r) => key(r) === k));
    expect(gone, 'rows for routes that no longer exist').to.deep.equal([]);
    for (const r of routes) expect(r.auth, key(r)).to.deep.equal(CONTRACT[key(r)]);
  });

  it('lets through a token holding only the scope the contract names, the owner token and the admin token (never 401/403)', async () => {
    const tried: string[] = [];
    for (const r of routes) {
      const need = CONTRACT[key(r)];
      if (need === 'admin' || (typeof need === 'object' && 'partner' in need)) continue;
      const only = typeof need === 'object' ? await createToken(server, h.handle, h.ownerToken, [need.scope]) : await createToken(server, h.handle, h.ownerToken, ['campaigns.read']);
      for (const [who, headers] of [['only its scope', only.auth], ['owner', h.auth], ['admin', server.admin()]] as const) {
        const res = await status(r, headers);
        expect(res.status, `${key(r)} as ${who}: ${res.code}`).to.not.be.oneOf([401, 403]);
      }
      tried.push(key(r));
    }
    expect(tried.length).to.be.at.least(50);
  });

  it('lets a partner token holding only the realm scope the contract names through every realm route', async () => {
    for (const r of routes) {
      const need = CONTRACT[key(r)];
      if (typeof need !== 'object' || !('partner' in need)) continue;
      const only = await partnerToken(server, h, 'own', { scopes: [need.partner] });
      const res = await status(r, only.auth);
      expect(res.status, `${key(r)}: ${res.code}`).to.not.be.oneOf([401, 403]);
      const other = PARTNER_SCOPES.filter((s) => s !== need.partner);
      if (other.length) {
        const lacking = await partnerToken(server, h, 'own', { scopes: other });
        expect(await status(r, lacking.auth), key(r)).to.deep.equal({ status: 403, code: 'insufficient_scope' });
      }
    }
  });

  it('answers 401 to expired and revoked tokens of every kind, and to an Authorization that is not Bearer, on every guarded route', async () => {
    const expiredPat = await createToken(server, h.handle, h.ownerToken, [...SCOPES]);
    const revokedPat = await createToken(server, h.handle, h.ownerToken, [...SCOPES]);
    const expiredPtk = await partnerToken(server, h, 'own', { scopes: [...PARTNER_SCOPES] });
    const revokedPtk = await partnerToken(server, h, 'own', { scopes: [...PARTNER_SCOPES] });
    await server.sql.query(`update access_tokens set expires_at = now() - interval '1 second' where token_id = $1`, [expiredPat.tokenId]);
    await server.sql.query(`update partner_tokens set expires_at = now() - interval '1 second' where token_id = $1`, [expiredPtk.tokenId]);
    await server.http.delete(`/v2/handles/${h.handle}/tokens/${revokedPat.tokenId}`).set(h.auth).expect(200);
    await server.http.delete(`/v2/handles/${h.handle}/partners/own/tokens/${revokedPtk.tokenId}`).set(h.auth).expect(200);
    const dead: [string, Record<string, string>][] = [
      ['expired PAT', expiredPat.auth], ['revoked PAT', revokedPat.auth], ['expired partner token', expiredPtk.auth], ['revoked partner token', revokedPtk.auth],
      ['Basic', { Authorization: `Basic ${Buffer.from(`x:${h.ownerToken}`).toString('base64')}` }], ['bare token', { Authorization: h.ownerToken }],
    ];
    for (const r of routes) {
      for (const [what, headers] of dead) expect(await status(r, headers), `${key(r)} with ${what}`).to.deep.equal({ status: 401, code: 'unauthorized' });
    }
  });

  it("answers 404 to another handle's token holding the very scope, and the admin token on a handle that does not exist", async () => {
    for (const r of routes) {
      if (!r.path.includes('{handle}')) continue;
      const need = CONTRACT[key(r)];
      const scoped =
        typeof need === 'object' && 'partner' in need
          ? await partnerToken(server, foreign, 'own', { scopes: [need.partner] })
          : await createToken(server, foreign.handle, foreign.ownerToken, [typeof need === 'object' ? need.scope : 'campaigns.read']);
      expect(await status(r, scoped.auth), `${key(r)} with another handle's token`).to.deep.equal({ status: 404, code: 'not_found' });
      expect(await status(r, server.admin(), 'no-such-handle'), `${key(r)}: admin on an unknown handle`).to.deep.equal({ status: 404, code: 'not_found' });
    }
  });

  it("answers 404 to a partner naming another partner's real ids (its postback), and leaves them whole", async () => {
    await createPartner(server, h, 'rival');
    const rival = await partnerToken(server, h, 'rival', { scopes: [...PARTNER_SCOPES] });
    const own = await partnerToken(server, h, 'own', { scopes: [...PARTNER_SCOPES] });
    const realm = `/v2/handles/${h.handle}/partner/postbacks`;
    const made = await server.http.post(realm).set(rival.auth).send({ urlTemplate: 'https://rival.example.com/pb?c={conversion_id}', events: ['conversion.tested'] }).expect(201);
    const id = made.body.postbackId as string;
    for (const [what, res] of [['deliveries', await server.http.get(`${realm}/${id}/deliveries`).set(own.auth)], ['delete', await server.http.delete(`${realm}/${id}`).set(own.auth)]] as const) {
      expect([res.status, res.body.error?.code], what).to.deep.equal([404, 'not_found']);
      expect(JSON.stringify(res.body)).to.not.include('rival');
    }
    const ownList = await server.http.get(realm).set(own.auth).expect(200);
    expect(ownList.body.data.map((p: { postbackId: string }) => p.postbackId)).to.not.include(id);
    const rivals = await server.http.get(realm).set(rival.auth).expect(200);
    expect(rivals.body.data.map((p: { postbackId: string }) => p.postbackId), 'still there for its partner').to.include(id);
  });

  it('answers a partner token on POST /v2/public/conversions 403 forbidden, an expired merchant token 401, and loses nothing', async () => {
    const { ctx } = await storedClick(server, h.handle, h.campaignId);
    const ptk = await partnerToken(server, h, 'own', { scopes: [...PARTNER_SCOPES] });
    const expired = await createToken(server, h.handle, h.ownerToken, ['conversions.write']);
    await server.sql.query(`update access_tokens set expires_at = now() - interval '1 second' where token_id = $1`, [expired.tokenId]);
    const post = (headers: Record<string, string>, idempotencyKey: string) => server.http.post(CONVERSIONS).set(headers).send({ ctx, eventType: 'sale', idempotencyKey });
    const byPartner = await post(ptk.auth, 'by-partner');
    expect([byPartner.status, byPartner.body.error?.code]).to.deep.equal([403, 'forbidden']);
    const byExpired = await post(expired.auth, 'by-expired');
    expect([byExpired.status, byExpired.body.error?.code]).to.deep.equal([401, 'unauthorized']);
    const { rows } = await server.sql.query('select count(*)::int as n from conversions where handle = $1', [h.handle]);
    expect(rows[0].n, 'no conversion recorded by a refused submission').to.equal(0);
    const merchant = await createToken(server, h.handle, h.ownerToken, ['conversions.write']);
    expect((await post(merchant.auth, 'by-merchant').expect(201)).body.authenticated).to.equal(true);
  });
});
