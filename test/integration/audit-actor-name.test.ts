import { expect } from 'chai';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, createToken, startTestServer, type TestServer } from '../support/server.ts';

type AuditEvent = { type: string; actor: string; actorName: string | null };

// The audit log says who did a thing by the token's id; a person reads names. A dashboard pass saw "…f4479760" in its
// Actor column: each event now also carries the token's name (its id stays in `actor`).
describe('audit events name their actor: the owner, a PAT by its name, a partner token by partner and name', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('answers actorName beside actor, for tokens revoked since too; null for the admin', async () => {
    const h = await createHandle(server);
    const ci = await createToken(server, h.handle, h.ownerToken, ['campaigns.write']);
    await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(ci.auth).send({
      campaignId: 'by-ci', goalType: 'AFFILIATE_CLICKOUT', primaryLink: { slug: 'by-ci', destinationUrl: 'https://shop.example/ci' },
    }).expect(201);
    await createPartner(server, h, 'alpha');
    const portal = await partnerToken(server, h, 'alpha', { name: 'portal', scopes: ['partner.read', 'partner.postbacks.write'] });
    await server.http.post(`/v2/handles/${h.handle}/partner/postbacks`).set(portal.auth).send({ urlTemplate: 'https://tracker.example/pb?c={click_id}', events: ['commission.created'] }).expect(201);
    await server.http.delete(`/v2/handles/${h.handle}/tokens/${ci.tokenId}`).set(h.auth).expect(200);
    await server.http.post(`/v2/handles/${h.handle}/tokens`).set(server.admin()).send({ name: 'by-admin', scopes: ['campaigns.read'] }).expect(201);

    const { body } = await server.http.get(`/v2/handles/${h.handle}/audit-events?limit=500`).set(h.auth).expect(200);
    const byType = (type: string) => (body.data as AuditEvent[]).find((e) => e.type === type);
    expect(byType('campaign.created'), 'a PAT, revoked since').to.deep.include({ actor: ci.tokenId, actorName: 't-campaigns.write' });
    expect(byType('postback.created')).to.deep.include({ actor: portal.tokenId, actorName: 'partner alpha: portal' });
    expect(byType('token.revoked')?.actorName).to.equal('owner');
    const byAdmin = (body.data as AuditEvent[]).find((e) => e.actor === 'admin');
    expect(byAdmin).to.deep.include({ type: 'token.created', actorName: null });
    // Another handle's token of the same id space is never named here: names come from this handle's tokens only.
    const other = await createHandle(server);
    const { rows } = await server.sql.query(`update audit_events set actor = $2 where handle = $1 and actor = 'admin' returning event_id`, [h.handle, await ownerTokenId(server, other.handle)]);
    expect(rows).to.have.length(1);
    const again = await server.http.get(`/v2/handles/${h.handle}/audit-events?type=token.created`).set(h.auth).expect(200);
    const moved = (again.body.data as (AuditEvent & { eventId: string })[]).find((e) => e.eventId === rows[0].event_id);
    expect(moved?.actorName, "another handle's token").to.equal(null);
  });
});

async function ownerTokenId(server: TestServer, handle: string): Promise<string> {
  const { rows } = await server.sql.query(`select token_id from access_tokens where handle = $1 and name = 'owner'`, [handle]);
  return rows[0].token_id as string;
}
