import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { atPhoneWidth, DESKTOP_VIEWPORT, shot, UI_WAIT, wrappedTexts } from '../support/browser.ts';
import { navPages, signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner } from '../support/partners.ts';
import { createHandle, createToken } from '../support/server.ts';

// The Reward rules page (#/rewards) in Debian's Chromium: rules created and replaced with PUT,
// deleted after a confirmation, and the API's 409 and 422 shown next to the form. Each step
// asserts the rule the API then holds. Screenshots: test/artifacts/rewards-*.png.

describe('dashboard reward rules in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  const rule = (id: string) => suite.server.http.get(`/v2/handles/${tenant.handle}/rewards/${id}`).set(tenant.auth);

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'alpha-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
      primaryLink: { slug: 'alpha-deal', destinationUrl: 'https://merchant.example.com/p?ref=alpha' },
    }).expect(201);
  });

  async function fillRule(page: DashboardSession['page'], r: { id: string; campaign?: string; partner?: string; event: string; type?: 'flat' | 'percent'; amount?: string; currency?: string; percent?: string; hold?: string }) {
    await page.fill('#reward-id', r.id);
    await page.fill('#reward-campaign', r.campaign ?? '');
    await page.fill('#reward-partner', r.partner ?? '');
    await page.fill('#reward-event', r.event);
    await page.selectOption('#reward-type', r.type ?? 'flat');
    if ((r.type ?? 'flat') === 'flat') {
      await page.fill('#reward-amount', r.amount ?? '');
      await page.fill('#reward-currency', r.currency ?? '');
    } else {
      await page.fill('#reward-percent', r.percent ?? '');
    }
    await page.fill('#reward-hold', r.hold ?? '');
  }

  it('creates a flat click rule and a percent rule for a partner\'s campaign, replaces one, deletes one once confirmed', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/rewards');
    expect(await navPages(page)).to.include('rewards');
    await page.locator('#rewards-table tr.empty').waitFor({ timeout: UI_WAIT });
    // Suggestions from the handle's own campaigns, partners and conversion events: its campaigns' first, then every
    // event its enabled goal types report (a UI pass missed `sale`, which the seed's rule pays).
    expect(await page.locator('#reward-events option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value)))
      .to.deep.equal(['click', 'affiliate_click', 'sale', 'lead', 'qualified_lead', 'purchase']);

    await fillRule(page, { id: 'click-cpc', event: 'click', amount: '0.25' });
    const [put] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'PUT' && r.url().endsWith('/rewards/click-cpc'), { timeout: UI_WAIT }),
      page.click('#reward-submit'),
    ]);
    expect(put.postDataJSON()).to.deep.equal({ scope: {}, event: 'click', type: 'flat', amount: 0.25 });
    await waitForText(page, '#reward-feedback .alert-success', 'Created click-cpc');
    await waitForText(page, '#rewards-table tr[data-reward-id="click-cpc"]', '0.25 USD');
    let stored = (await rule('click-cpc').expect(200)).body;
    expect([stored.scope, stored.event, stored.type, stored.amount, stored.currency, stored.holdDays]).to.deep.equal([{}, 'click', 'flat', 0.25, 'USD', 30]);

    await fillRule(page, { id: 'alpha-sale', campaign: 'alpha-deal', partner: 'alpha', event: 'affiliate_click', type: 'percent', percent: '12.5', hold: '14' });
    expect(await page.locator('[data-field="amount"]').isHidden(), 'a percent rule has no amount').to.equal(true);
    await page.click('#reward-submit');
    await waitForText(page, '#rewards-table tr[data-reward-id="alpha-sale"]', '12.5 %');
    stored = (await rule('alpha-sale').expect(200)).body;
    expect([stored.scope, stored.event, stored.type, stored.percent, stored.amount, stored.holdDays]).to.deep.equal([{ campaignId: 'alpha-deal', partnerId: 'alpha' }, 'affiliate_click', 'percent', 12.5, null, 14]);
    // Its scope a line a part, each id whole at 1280 pixels ("campaign gamma-winter-sale-2026 · partner gamma-media-network" broke at
    // every hyphen, over seven lines of a 86-pixel column: a pass).
    const scope = page.locator('#rewards-table tr[data-reward-id="alpha-sale"] [data-col="scope"]');
    expect(await scope.locator('> div').allTextContents()).to.deep.equal(['campaign alpha-deal', 'partner alpha']);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await wrappedTexts(page, '#rewards-table [data-col="scope"] span')).to.deep.equal([]);
    await page.setViewportSize(DESKTOP_VIEWPORT);

    // Edit fills the form with the rule; saving it replaces the rule (200).
    await page.locator('#rewards-table tr[data-reward-id="alpha-sale"] [data-action="edit"]').click();
    expect([await page.inputValue('#reward-id'), await page.inputValue('#reward-percent'), await page.inputValue('#reward-hold')]).to.deep.equal(['alpha-sale', '12.5', '14']);
    await page.fill('#reward-percent', '15');
    await page.click('#reward-submit');
    await waitForText(page, '#reward-feedback .alert-success', 'Replaced alpha-sale');
    await waitForText(page, '#rewards-table tr[data-reward-id="alpha-sale"]', '15 %');
    expect((await rule('alpha-sale').expect(200)).body.percent).to.equal(15);
    await shot(page, 'rewards-01-list');

    // Delete: Cancel keeps it; confirmed, it is gone from the API and the list.
    const deleteButton = page.locator('#rewards-table tr[data-reward-id="click-cpc"] [data-action="delete"]');
    await deleteButton.click();
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor({ timeout: UI_WAIT });
    expect(await dialog.textContent()).to.include('whole handle, click').and.include('stay as they are');
    await shot(page, 'rewards-02-delete-confirm');
    await dialog.locator('[data-confirm="cancel"]').click();
    await rule('click-cpc').expect(200);
    await deleteButton.click();
    await dialog.locator('[data-confirm="ok"]').click();
    await page.locator('#rewards-table tr[data-reward-id="click-cpc"]').waitFor({ state: 'detached', timeout: UI_WAIT });
    await rule('click-cpc').expect(404);
    expect(session.unexpectedConsole()).to.deep.equal([]);
    expect(await atPhoneWidth(page, 'rewards-04-phone'), 'at phone width tables scroll in their own box, the page never sideways').to.deep.equal([[], 0]);
  });

  it('shows the API\'s 409 (another rule covers the scope and event) and 422 unknown_campaign / unknown_partner next to the form', async () => {
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/default-sale`).set(tenant.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }).expect(201);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/rewards');
    await page.locator('#rewards-table tr[data-reward-id="default-sale"]').waitFor({ timeout: UI_WAIT });
    // The form's and each row's message box are live regions before a message lands (dom.js feedbackBox): a row's was
    // made live only by its first message, which a screen reader then often missed.
    expect(await page.locator('.row-feedback:not([aria-live]), .feedback:not([aria-live])').count()).to.equal(0);
    expect(await page.locator('#rewards-table .row-feedback[aria-live="polite"]').count()).to.be.greaterThan(0);

    await fillRule(page, { id: 'second-sale', event: 'affiliate_click', amount: '3', currency: 'EUR' });
    await page.click('#reward-submit');
    await waitForText(page, '#reward-feedback .alert-error', 'HTTP 409');
    expect(await page.locator('#reward-feedback').textContent()).to.include('Could not save the rule second-sale').and.include('conflict');
    await rule('second-sale').expect(404);
    await shot(page, 'rewards-03-conflict');

    await fillRule(page, { id: 'ghost-sale', campaign: 'ghost', event: 'affiliate_click', amount: '3' });
    await page.click('#reward-submit');
    await waitForText(page, '#reward-feedback .alert-error', 'unknown_campaign');
    expect(await page.locator('#reward-feedback').textContent()).to.include('HTTP 422');
    await fillRule(page, { id: 'ghost-sale', partner: 'nobody', event: 'affiliate_click', amount: '3' });
    await page.click('#reward-submit');
    await waitForText(page, '#reward-feedback .alert-error', 'unknown_partner');
    await rule('ghost-sale').expect(404);

    // A flat amount of 1,000 or more per event asks first (a UI pass saved 99,999,999,999.00 per click at once).
    await fillRule(page, { id: 'typo-cpc', event: 'click', amount: '99999999999' });
    await page.click('#reward-submit');
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor({ timeout: UI_WAIT });
    expect(await dialog.textContent()).to.include('99,999,999,999.00 USD').and.include('per qualified click');
    await dialog.locator('[data-confirm="cancel"]').click();
    await dialog.waitFor({ state: 'detached', timeout: UI_WAIT });
    await rule('typo-cpc').expect(404);
    await page.fill('#reward-amount', '0.25'); // an ordinary one saves without a question
    await page.click('#reward-submit');
    await waitForText(page, '#reward-feedback .alert-success', 'Created typo-cpc');
    expect(await dialog.count()).to.equal(0);
    expect(session.unexpectedConsole([409, 422])).to.deep.equal([]);
  });

  it('scopes: commissions.read alone lists the rules without the form or buttons; without it there is no Reward rules page', async () => {
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/listed`).set(tenant.auth)
      .send({ scope: { partnerId: 'alpha' }, event: 'click', type: 'flat', amount: 0.1, currency: 'EUR', holdDays: 0 }).expect(201);
    const reader = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['commissions.read'])).token;
    session = await openSession();
    await signIn(session.page, suite.server, tenant.handle, reader, '#/rewards');
    await waitForText(session.page, '#rewards-table tr[data-reward-id="listed"]', '0.10 EUR');
    await session.page.locator('[data-scope-note="commissions.write"]').waitFor({ timeout: UI_WAIT });
    expect(await session.page.locator('#reward-form').count()).to.equal(0);
    expect(await session.page.locator('#rewards-table [data-action]').count()).to.equal(0);
    expect(session.pageErrors).to.deep.equal([]);
    await session.close();

    const other = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['partners.read'])).token;
    session = await openSession();
    await signIn(session.page, suite.server, tenant.handle, other, '#/rewards');
    expect(await navPages(session.page)).to.deep.equal(['partners']);
    await waitForText(session.page, '.nav-hidden', 'Reward rules (commissions.read)');
  });
});
