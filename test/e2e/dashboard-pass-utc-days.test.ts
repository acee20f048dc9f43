import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { browserSuite } from '../support/browser-suite.ts';
import { DESKTOP_VIEWPORT, newContext, shot, UI_WAIT } from '../support/browser.ts';
import { conversionRow, ledgerRows } from '../support/commissions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle } from '../support/server.ts';

// The ledger's days in a browser east or west of UTC (black-box pass). The dashboard's days are UTC
// days: a payout run's period end ("UTC, end of day"), the lists' From/to filters. The ledger's cells
// showed them in the browser's zone: a run to 2027-01-31 showed "Feb 1, 2027" as its period end in
// Berlin (to the manager and to the partner), and a commission created late on 2026-11-30 (UTC),
// which the filter From/to 2026-11-30 rightly lists, said "Dec 1, 2026"; a partner token issued to
// expire on 2027-01-31 ("Expires (UTC)") said it expires Feb 1; a conversion the Conversions filter of
// 2026-11-30 lists said it was recorded on Dec 1 (local time, with no zone). They show the UTC day (time) now.
// Screenshots: test/artifacts/pass-utc-days-*.png.

describe('dashboard ledger in a real browser: its days are UTC days in any time zone', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let context: BrowserContext | null = null;
  let commissionId: string;
  let payoutId: string;

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    [commissionId] = await ledgerRows(suite.server, [
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '12.50', createdAt: new Date('2026-11-30T23:30:00Z') },
    ]);
    const run = await suite.server.http
      .post(`/v2/handles/${tenant.handle}/payouts`)
      .set(tenant.auth)
      .send({ idempotencyKey: 'utc-days', periodEnd: '2027-01-31T23:59:59.999Z' })
      .expect(201);
    payoutId = run.body.data[0].payoutId;
  });
  afterEach(async () => {
    await context?.close();
    context = null;
  });

  async function open(timezoneId: string, token: string, hash: string): Promise<Page> {
    context = await newContext(suite.browser, { viewport: DESKTOP_VIEWPORT, locale: 'en-US', timezoneId });
    const page = await context.newPage();
    await page.goto(`${suite.server.url}/dashboard${hash}`);
    await page.fill('#signin-handle', tenant.handle);
    await page.fill('#signin-token', token);
    await page.click('#signin-submit');
    await page.waitForSelector('.layout', { timeout: UI_WAIT });
    return page;
  }
  const periodEnd = (page: Page, table: string) =>
    page.locator(`#${table} tr[data-payout-id="${payoutId}"] td[data-col="period-end"]`).innerText();

  it('payouts in Berlin: the period end is the UTC day the run named, for the manager and for the partner', async () => {
    const page = await open('Europe/Berlin', tenant.ownerToken, '#/payouts');
    await page.locator(`#payouts-table tr[data-payout-id="${payoutId}"]`).waitFor({ timeout: UI_WAIT });
    await shot(page, 'pass-utc-days-payouts');
    expect(await periodEnd(page, 'payouts-table')).to.equal('Jan 31, 2027');
    await context!.close();

    const { token } = await partnerToken(suite.server, tenant, 'alpha');
    const portal = await open('Europe/Berlin', token, '#/my-payouts');
    await portal.locator(`#my-payouts-table tr[data-payout-id="${payoutId}"]`).waitFor({ timeout: UI_WAIT });
    expect(await periodEnd(portal, 'my-payouts-table')).to.equal('Jan 31, 2027');
  });

  it('commissions in Berlin: a commission of late 2026-11-30 (UTC), listed by the filter of that day, says Nov 30', async () => {
    const page = await open('Europe/Berlin', tenant.ownerToken, '#/commissions?from=2026-11-30&to=2026-11-30');
    const row = page.locator(`#commissions-table tr[data-commission-id="${commissionId}"]`);
    await row.waitFor({ timeout: UI_WAIT });
    await shot(page, 'pass-utc-days-commissions');
    expect(await row.locator('td:nth-child(2)').innerText()).to.equal('Nov 30, 2026');
  });

  it('partner tokens in Berlin: a token issued to expire on 2027-01-31 (UTC) says it expires on Jan 31, not Feb 1', async () => {
    const page = await open('Europe/Berlin', tenant.ownerToken, '#/partners');
    await page.click('#partners-table tr[data-partner-id="alpha"] [data-action="tokens"]');
    const panel = page.locator('tr[data-detail-for="alpha"]');
    await panel.locator('input.token-name').fill('until January');
    await panel.locator('input.token-expires').fill('2027-01-31');
    await panel.locator('[data-action="issue"]').click();
    // The columns: Token, Scopes, Created, Expires.
    const cell = panel.locator('tbody tr', { hasText: 'until January' }).locator('td:nth-child(4)');
    await cell.waitFor({ timeout: UI_WAIT });
    await shot(page, 'pass-utc-days-token');
    expect(await cell.innerText()).to.equal('Jan 31, 2027, 11:59:59 PM UTC');
  });

  it('conversions in Berlin: a conversion of late 2026-11-30 (UTC), listed by the filter of that day, says Nov 30, 11:30 PM UTC', async () => {
    const conversionId = await conversionRow(suite.server, tenant.handle, 'alpha-deal', '20.00');
    await suite.server.sql.query(`update conversions set created_at = '2026-11-30T23:30:00Z' where conversion_id = $1`, [conversionId]);
    const page = await open('Europe/Berlin', tenant.ownerToken, '#/conversions?from=2026-11-30&to=2026-11-30');
    const row = page.locator(`#conversions-table tr[data-conversion-id="${conversionId}"]`);
    await row.waitFor({ timeout: UI_WAIT });
    await shot(page, 'pass-utc-days-conversions');
    expect(await row.locator('td:nth-child(1)').innerText()).to.equal('Nov 30, 2026, 11:30:00 PM UTC');
  });
});
