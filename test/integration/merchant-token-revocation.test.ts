import { expect } from 'chai';
import { CONVERSIONS, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createToken, twoServers } from '../support/server.ts';

// API.md: a revoked token → 401; README: a rotated token's old secret is "refused at once". The
// conversions endpoint remembered a valid merchant token for a second in each process (MerchantAuth),
// so a token revoked or rotated on one process kept recording authenticated conversions for up to a
// second, on that process and on every other, where every other route refused it at once.
describe('merchant tokens revoked or rotated on one process, used on another', () => {
  const servers = twoServers();

  const sale = (ctx: string, idempotencyKey: string) => ({ ctx, eventType: 'affiliate_click', value: 10, currency: 'USD', idempotencyKey });

  for (const change of ['revoke', 'rotate'] as const) {
    it(`a token ${change}d on one process is refused at once on both (401), recording nothing more`, async () => {
      const { a, b } = servers;
      const { handle, ownerToken, campaignId } = await partnerCampaign(a, { publicConversions: 'flag' });
      const owner = { Authorization: `Bearer ${ownerToken}` };
      for (let round = 0; round < 10; round++) {
        const merchant = await createToken(a, handle, ownerToken, ['conversions.write']);
        // Both processes have just accepted the token (each remembers it for a while).
        for (const server of [a, b]) {
          const { ctx } = await storedClick(a, handle, campaignId);
          await server.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, `warm-${change}-${round}-${server.url}`)).expect(201);
        }
        const before = await count(a, 'conversions where handle = $1', [handle]);
        if (change === 'revoke') await a.http.delete(`/v2/handles/${handle}/tokens/${merchant.tokenId}`).set(owner).expect(200);
        else await a.http.post(`/v2/handles/${handle}/tokens/${merchant.tokenId}/rotate`).set(owner).expect(200);
        const { ctx } = await storedClick(a, handle, campaignId);
        const [onB, onA] = await Promise.all([
          b.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, `after-b-${change}-${round}`)),
          a.http.post(CONVERSIONS).set(merchant.auth).send(sale(ctx, `after-a-${change}-${round}`)),
        ]);
        expect([onA.status, onB.status], `round ${round}: the old secret after the ${change}`).to.deep.equal([401, 401]);
        expect(onB.body.error.code).to.equal('unauthorized');
        expect(await count(a, 'conversions where handle = $1', [handle])).to.equal(before);
      }
    });
  }
});
