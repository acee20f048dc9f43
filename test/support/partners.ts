import type { TestServer } from './server.ts';

type Handle = { handle: string; auth: Record<string, string> };

/** Creates a partner through the API (ACTIVE unless said). */
export async function createPartner(server: TestServer, h: Handle, partnerId: string, extra: Record<string, unknown> = {}) {
  const res = await server.http.post(`/v2/handles/${h.handle}/partners`).set(h.auth).send({ partnerId, name: `Partner ${partnerId}`, ...extra }).expect(201);
  return res.body;
}

/** Issues a partner token (tenx_ptk_…) and returns it with ready-made headers. */
export async function partnerToken(server: TestServer, h: Handle, partnerId: string, body: Record<string, unknown> = {}) {
  const res = await server.http.post(`/v2/handles/${h.handle}/partners/${partnerId}/tokens`).set(h.auth).send({ name: `portal ${partnerId}`, ...body }).expect(201);
  return { token: res.body.token as string, tokenId: res.body.tokenId as string, auth: { Authorization: `Bearer ${res.body.token}` } };
}

/** Names a campaign's partner through the API (null: none). */
export async function assignPartner(server: TestServer, h: Handle, campaignId: string, partnerId: string | null) {
  await server.http.patch(`/v2/handles/${h.handle}/campaigns/${campaignId}`).set(h.auth).send({ partnerId }).expect(200);
}

/**
 * A fixture's partner: holds the campaign since its creation, as if it had been created with it, so
 * traffic a fixture wrote in the past is the partner's (a PATCH gives it only what follows; API.md).
 */
export async function holdSinceCreation(server: TestServer, h: Handle, campaignId: string, partnerId: string) {
  const { rowCount } = await server.sql.query(
    `update campaigns set partner_id = $3, partner_since = null where handle = $1 and campaign_id = $2 and partner_id is null
        and not exists (select 1 from campaign_partner_history where handle = $1 and campaign_id = $2)`,
    [h.handle, campaignId, partnerId],
  );
  if (rowCount !== 1) throw new Error(`${campaignId}: not a partnerless campaign that never changed partner`);
}

/**
 * Two partners of one handle, each with its campaign, and a 10 % reward on every affiliate_click with no hold:
 * anna holds the handle's campaign (`partnerCampaign`'s), bob `bob-deal`.
 */
export async function annaAndBob(server: TestServer, h: Handle & { campaignId: string }) {
  await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send({
    campaignId: 'bob-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
    primaryLink: { slug: 'bob-deal', destinationUrl: 'https://merchant.example.com/bob', title: 'Bob' },
  }).expect(201);
  await createPartner(server, h, 'anna');
  await createPartner(server, h, 'bob');
  await assignPartner(server, h, h.campaignId, 'anna');
  await assignPartner(server, h, 'bob-deal', 'bob');
  await server.http.put(`/v2/handles/${h.handle}/rewards/sale`).set(h.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 0 }).expect(201);
}
