import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { browserSuite } from '../support/browser-suite.ts';
import { newContext, shot, UI_WAIT } from '../support/browser.ts';
import { ledgerRows } from '../support/commissions.ts';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { signIn, waitForText, type DashboardSession, sessionPerTest, focused } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle } from '../support/server.ts';
import { eventually } from '../support/webhooks.ts';

// What the browser black-box pass left over, each as a person meets it:
// - webhooks: Rotate secret and Delete reloaded the whole list under the button pressed, and the
//   focus fell to <body>; it now stays on the row's Rotate, or goes to the next webhook's Delete.
// - funnel: netRevenue (API.md v2.1: revenue minus what reversals took back) was not shown.
// - partners: a minimum payout read "50.00 USD", but the contract gives it no currency and a payout
//   run compares it with each currency's balance on its own (50 EUR is paid, 40 USD is not).
// - empty tables: "none matches these filters" with no filter set (and said twice on Commissions),
//   or nothing on what creates the first row.
// - times: some pages showed the browser's local time, others UTC (the ranges' clock); all say UTC now.
// Screenshots: test/artifacts/pass-leftovers-*.png.

describe('dashboard leftovers of the black-box pass in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
  });

  /** Presses a row's action with Enter and confirms the dialog with the keyboard (Cancel has the focus: Tab, Enter). */
  async function confirmWithKeyboard(page: Page, control: string) {
    await page.focus(control);
    await page.keyboard.press('Enter');
    await page.locator('dialog.confirm [data-confirm="ok"]').waitFor({ timeout: UI_WAIT });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
  }

  it("webhooks: Rotate secret confirmed with the keyboard keeps the focus on the row's Rotate; Delete puts it on the next webhook's Delete, and after the last one on the form that adds one", async () => {
    const ids: string[] = [];
    for (const path of ['first', 'second']) {
      const res = await suite.server.http.post(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth)
        .send({ endpointUrl: `http://127.0.0.1:9/${path}`, eventTypes: ['webhook.ping'] }).expect(201);
      ids.push(res.body.webhookId);
    }
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/notifications');
    const [id, other] = ids;
    const row = `#webhooks-table tr[data-webhook-id="${id}"]`;
    await page.locator(`${row} [data-action="rotate"]`).waitFor({ timeout: UI_WAIT });

    await confirmWithKeyboard(page, `${row} [data-action="rotate"]`);
    await page.locator(`#webhook-secret .token-once[data-webhook-id="${id}"]`).waitFor({ timeout: UI_WAIT });
    await waitForText(page, row, 'secret rotated');
    let at = await focused(page);
    expect(at.row?.webhookId, `the focus is on ${at.tag}`).to.equal(id);
    expect(at.action).to.equal('rotate');

    await confirmWithKeyboard(page, `${row} [data-action="delete"]`);
    await page.locator(row).waitFor({ state: 'detached', timeout: UI_WAIT });
    at = await focused(page);
    await shot(page, 'pass-leftovers-webhook-deleted');
    expect(at.row?.webhookId, `the focus is on ${at.tag}`).to.equal(other);
    expect(at.action).to.equal('delete');
    expect((await suite.server.http.get(`/v2/handles/${tenant.handle}/webhooks`).set(tenant.auth).expect(200)).body.data.map((w: { webhookId: string }) => w.webhookId)).to.deep.equal([other]);
    // The rotated secret of the deleted webhook signs nothing any more: its box went with it.
    expect(await page.locator('#webhook-secret .token-once').count()).to.equal(0);

    // The last webhook: no row is left to move to, so the focus goes to the form that adds one, not to <body>.
    await confirmWithKeyboard(page, `#webhooks-table tr[data-webhook-id="${other}"] [data-action="delete"]`);
    await waitForText(page, '#webhooks-table', 'No webhook yet');
    at = await focused(page);
    expect(await page.evaluate(() => document.activeElement?.id), `the focus is on ${at.tag}`).to.equal('webhook-url');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('funnel: net revenue (revenue minus reversals, API.md v2.1) shows under revenue per campaign and in the totals, as money, in every currency, with the reversals counted', async () => {
    const shop = await partnerCampaign(suite.server, { reportingCurrency: 'USD' });
    const ctx = await clickThrough(suite.server, shop.handle, shop.slug);
    await suite.server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 120, currency: 'USD', idempotencyKey: 'order-1' }).expect(201);
    await suite.server.http.post(`/v2/handles/${shop.handle}/conversions/reversals`).set(shop.auth)
      .send({ idempotencyKey: 'order-1', reversalKey: 'refund-1', amount: 30, reason: 'refund' }).expect(201);
    // A refund in another currency than the reporting one: it showed nowhere (netRevenue is USD's alone).
    const eur = await clickThrough(suite.server, shop.handle, shop.slug);
    await suite.server.http.post(CONVERSIONS).send({ ctx: eur, eventType: 'affiliate_click', value: 40, currency: 'EUR', idempotencyKey: 'order-2' }).expect(201);
    await suite.server.http.post(`/v2/handles/${shop.handle}/conversions/reversals`).set(shop.auth)
      .send({ idempotencyKey: 'order-2', reversalKey: 'refund-2', amount: 10, reason: 'refund' }).expect(201);
    const funnel = await eventually(async () => {
      const { body } = await suite.server.http.get(`/v2/handles/${shop.handle}/analytics?funnel=true`).set(shop.auth).expect(200);
      return body.totals.netRevenue === 90 && body.totals.netRevenueByCurrency.EUR === 30 && body;
    }, 10_000, 'netRevenue 90 and 30 EUR net in the funnel');
    expect(funnel.data[0]).to.include({ campaignId: shop.campaignId, revenue: 120, netRevenue: 90 });

    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, shop.handle, shop.ownerToken, '#/funnel');
    const row = `#funnel-table tr[data-campaign-id="${shop.campaignId}"]`;
    await page.locator(row).waitFor({ timeout: UI_WAIT });
    await shot(page, 'pass-leftovers-funnel-net');
    // Under revenue, where something was reversed (else it is revenue again): a column more no longer fit 1280 pixels in the portal.
    expect(await page.locator(`${row} [data-col="revenue"] div`).allTextContents()).to.deep.equal(['120.00 USD', 'net 90.00 USD', '+ 40.00 EUR (net 30.00 EUR)']);
    expect(await page.locator('#funnel-totals [data-stat="revenue"] .money-net').textContent()).to.equal('net 90.00 USD');
    expect(await page.locator('#funnel-totals [data-stat="revenue"] .stat-extra:not(.money-net)').textContent()).to.equal('+ 40.00 EUR (net 30.00 EUR)');
    expect(await page.locator('#funnel-totals [data-stat="conversions"] [data-extra="reversals"]').textContent()).to.equal('2 reversals');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("partners: the minimum payout names no currency of the handle's: it applies to each currency's balance on its own", async () => {
    await createPartner(suite.server, tenant, 'gamma', { name: 'Gamma Media', minimumPayout: 50 });
    // What the contract means: 40 USD and 60 EUR approved, minimum 50: only the EUR balance is paid.
    await ledgerRows(suite.server, [
      { handle: tenant.handle, partnerId: 'gamma', amount: '40.00', currency: 'USD' },
      { handle: tenant.handle, partnerId: 'gamma', amount: '60.00', currency: 'EUR' },
    ]);
    const run = await suite.server.http.post(`/v2/handles/${tenant.handle}/payouts`).set(tenant.auth)
      .send({ idempotencyKey: 'minimum-each-currency', partnerIds: ['gamma'] }).expect(201);
    expect(run.body.data.map((p: { amount: number; currency: string }) => `${p.amount} ${p.currency}`)).to.deep.equal(['60 EUR']);

    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    const row = '#partners-table tr[data-partner-id="gamma"]';
    const minimum = (await page.locator(`${row} td.num`).textContent())!;
    expect(minimum, '50.00 USD would say an EUR payout needs 50 USD').not.to.include('USD');
    expect(minimum).to.include('50.00').and.include('each currency');
    await page.click(`${row} [data-action="edit"]`);
    const label = page.locator('form.partner-edit[data-partner-id="gamma"] label', { has: page.locator('input.edit-minimum') });
    expect(await label.textContent()).to.equal('Minimum payout (each currency)');
    await shot(page, 'pass-leftovers-minimum');
    expect(await page.locator('#new-partner .field', { has: page.locator('#new-partner-minimum') }).textContent()).to.include('each currency');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('empty tables say what is empty and what creates the first row; "matches these filters" only under a filter', async () => {
    const empty = await createHandle(suite.server, undefined, { name: 'Empty Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, empty, 'solo', { name: 'Solo Media' });
    session = await openSession();
    let { page } = session;
    const emptyText = (table: string) => page.locator(`${table} tr.empty td`).textContent();
    await signIn(page, suite.server, empty.handle, empty.ownerToken, '#/commissions');
    await page.locator('#commissions-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#commissions-table')).to.equal('No commission yet: reward rules create them from qualified clicks and conversions.');
    expect(await page.locator('#commission-summary').textContent(), 'said once, in the table').to.equal('');
    await page.selectOption('#commission-status', 'paid');
    await waitForText(page, '#commissions-table tr.empty', 'No commission matches these filters.');

    await page.goto(`${suite.server.url}/dashboard#/conversions`);
    await page.locator('#conversions-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#conversions-table')).to.equal('No conversion yet: merchants report them for clicks on your short links.');
    await page.goto(`${suite.server.url}/dashboard#/payouts`);
    await page.locator('#payouts-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#payouts-table')).to.equal('No payout yet: Run payouts above creates them from approved commissions.');
    // A period end after today would pay commissions still on hold (a pass ran one two weeks ahead): the field stops at today.
    expect(await page.getAttribute('#payout-period-end', 'max')).to.equal(new Date().toISOString().slice(0, 10));
    await shot(page, 'pass-leftovers-empty-payouts');
    await page.goto(`${suite.server.url}/dashboard#/notifications`);
    await page.locator('#deliveries-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#deliveries-table')).to.equal('No delivery yet: an event a webhook subscribes to, or a test ping, creates one.');
    expect(session.unexpectedConsole()).to.deep.equal([]);
    await session.close();

    // The partner's portal, with a token that may add postbacks.
    const { token } = await partnerToken(suite.server, empty, 'solo', { scopes: ['partner.read', 'partner.postbacks.write'] });
    session = await openSession();
    ({ page } = session);
    await signIn(page, suite.server, empty.handle, token, '#/portal');
    await page.locator('#portal-balances tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#portal-balances')).to.equal('No balance yet: your first commission opens one.');
    await page.goto(`${suite.server.url}/dashboard#/my-commissions`);
    await page.locator('#my-commissions-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#my-commissions-table')).to.equal('No commission yet: your links earn them from clicks and sales.');
    await page.selectOption('#my-commission-status', 'paid');
    await waitForText(page, '#my-commissions-table tr.empty', 'No paid commission.');
    await page.goto(`${suite.server.url}/dashboard#/my-payouts`);
    await page.locator('#my-payouts-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#my-payouts-table')).to.equal('No payout yet: the network pays your approved commissions with payouts.');
    await page.goto(`${suite.server.url}/dashboard#/postbacks`);
    await page.locator('#postbacks-table tr.empty').waitFor({ timeout: UI_WAIT });
    expect(await emptyText('#postbacks-table')).to.equal('No postback yet: add one below.');
    await shot(page, 'pass-leftovers-empty-postbacks');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });
  it("times read in UTC, labelled, whatever the browser's time zone: the same clock as the ranges and the ledger's days", async () => {
    const partner = await createPartner(suite.server, tenant, 'p-utc-clock');
    // A context of its own: Kolkata is UTC+5:30, so a local time would differ in its minutes too.
    const context = await newContext(suite.browser, { locale: 'en-US', timezoneId: 'Asia/Kolkata' });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
      const cell = page.locator(`tr[data-partner-id="${partner.partnerId}"] td`).nth(4);
      await cell.waitFor({ timeout: UI_WAIT });
      const shown = (await cell.innerText()).replace(/\s+/g, ' ');
      const clock = (tz: string) => new Intl.DateTimeFormat('en-US', { timeStyle: 'medium', timeZone: tz }).format(new Date(partner.createdAt)).replace(/\s+/g, ' ');
      expect(shown).to.match(/ UTC$/);
      expect(shown).to.include(clock('UTC'));
      expect(shown).not.to.include(clock('Asia/Kolkata'));
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
