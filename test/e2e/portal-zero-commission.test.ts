import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { shot, UI_WAIT } from '../support/browser.ts';
import { signIn, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { ledgerRows } from '../support/commissions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle } from '../support/server.ts';

// The partner portal's live funnel (#/live): a campaign whose only commission was rejected earns
// nothing, and its Commission cell says so in a currency ("0.00 USD"), like every cell beside it; it
// said a bare "0.00" (the API leaves rejected commissions out, so the row names no currency).
// Screenshot: test/artifacts/portal-zero-commission.png.

const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('partner portal in a real browser: a zero commission names its currency', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);

  /** A visitor's click on the campaign's short link, then the merchant's server posting the order: 10 % of it is the partner's. */
  async function sale(campaignId: string, key: string, value: number, currency: string) {
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
      primaryLink: { slug: campaignId, destinationUrl: `https://merchant.example.com/p?ref=${campaignId}` },
    }).expect(201);
    const res = await fetch(`${suite.server.url}/${tenant.handle}/${campaignId}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    await suite.server.http.post('/v2/public/conversions').set(tenant.auth).send({ ctx, eventType: 'affiliate_click', value, currency, idempotencyKey: key }).expect(201);
  }

  async function rejectCommissionsOf(campaignId: string) {
    const { body } = await suite.server.http.get(`/v2/handles/${tenant.handle}/commissions?campaignId=${campaignId}`).set(tenant.auth).expect(200);
    expect(body.data).to.have.length(1);
    await suite.server.http.patch(`/v2/handles/${tenant.handle}/commissions/${body.data[0].commissionId}`).set(tenant.auth)
      .send({ status: 'rejected', reason: 'order cancelled' }).expect(200);
  }

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/default-sale`).set(tenant.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }).expect(201);
    await sale('alpha-deal', 'order-1', 20, 'USD');
    await sale('alpha-promo', 'order-2', 30, 'USD');
    await rejectCommissionsOf('alpha-promo');
    // Its revenue is in EUR alone, so the row itself does not imply the reporting currency: the other rows do.
    await sale('alpha-eu', 'order-3', 40, 'EUR');
    await rejectCommissionsOf('alpha-eu');
  });

  it('shows "0.00 USD" for a campaign whose only commission was rejected, as its revenue cell names USD', async () => {
    const { token } = await partnerToken(suite.server, tenant, 'alpha');
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, token, '#/live');
    const cell = (campaignId: string) => page.locator(`#funnel-table tr[data-campaign-id="${campaignId}"] td[data-col="commission"]`);
    await cell('alpha-eu').waitFor({ timeout: UI_WAIT });
    expect(await cell('alpha-deal').textContent()).to.equal('2.00 USD');
    expect(await cell('alpha-promo').textContent()).to.equal('0.00 USD');
    expect(await cell('alpha-eu').textContent()).to.equal('0.00 USD');
    await shot(page, 'portal-zero-commission');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('the Overview says what a negative approved balance is: a clawback taken from the next payout', async () => {
    await createPartner(suite.server, tenant, 'clawed', { name: 'Clawed Media' });
    await ledgerRows(suite.server, [{ handle: tenant.handle, partnerId: 'clawed', type: 'clawback', amount: '-5.36', currency: 'USD', status: 'approved' }]);
    const { token } = await partnerToken(suite.server, tenant, 'clawed');
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, token, '#/portal');
    await page.locator('#portal-balances tr[data-currency="USD"]').waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#portal-balances tr[data-currency="USD"] [data-col="approved"]').textContent()).to.equal('-5.36 USD');
    expect(await page.locator('#portal-balances-note').textContent()).to.include('A negative approved amount (USD) is what a refund took back from a sale already paid');
  });
});
