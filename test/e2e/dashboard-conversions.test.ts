import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { atPhoneWidth, DESKTOP_VIEWPORT, shot, UI_WAIT, wrappedTexts } from '../support/browser.ts';
import { answerDialog, navPages, signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner } from '../support/partners.ts';
import { storedClicks } from '../support/redirect.ts';
import { createHandle, createToken } from '../support/server.ts';

// The Conversions page (#/conversions) in Debian's Chromium: the list with its filters kept in the
// URL, and Reverse (partial, over what remains, the rest), each step checked against the
// conversion and commissions the API then holds. Screenshots: test/artifacts/conversions-*.png.

const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('dashboard conversions in a real browser: list, filters in the URL, reversals', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  const ids: Record<string, string> = {};
  const conversion = async (id: string) => (await suite.server.http.get(`/v2/handles/${tenant.handle}/conversions/${id}`).set(tenant.auth).expect(200)).body;

  async function campaign(campaignId: string, partnerId?: string) {
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', ...(partnerId && { partnerId }),
      primaryLink: { slug: campaignId, destinationUrl: `https://merchant.example.com/p?ref=${campaignId}` },
    }).expect(201);
  }

  let clicks = 0;
  /** A visitor's click on the short link, then the merchant's server posting the order (authenticated). */
  async function sale(slug: string, key: string, value: number, currency: string, q = '') {
    const res = await fetch(`${suite.server.url}/${tenant.handle}/${slug}${q}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    expect(res.status).to.equal(302);
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    // The conversion takes its sub-IDs from its click's row: under load the click can still be buffered past the
    // conversion's wait for it (a full run, 2026-12-05: the row read no sub1), so the row is stored first.
    await storedClicks(suite.server, tenant.handle, ++clicks, 15_000);
    const posted = await suite.server.http.post('/v2/public/conversions').set(tenant.auth)
      .send({ ctx, eventType: 'affiliate_click', value, currency, idempotencyKey: key }).expect(201);
    ids[key] = posted.body.conversionId;
  }

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    await campaign('alpha-deal', 'alpha');
    await campaign('beta-deal');
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/default-sale`).set(tenant.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }).expect(201);
    await sale('alpha-deal', 'order-1001', 120, 'USD', '?sub1=newsletter-dec&sub2=banner-top');
    await sale('beta-deal', 'order-1002', 40, 'EUR');
  });

  const rowOf = (key: string) => `#conversions-table tr[data-conversion-id="${ids[key]}"]`;

  it('lists conversions with partner, sub-IDs, value in its currency; the filters are kept in the URL across a reload', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/conversions');
    expect(await navPages(page)).to.include('conversions');
    await page.locator(rowOf('order-1002')).waitFor({ timeout: UI_WAIT });
    const alpha = (await page.locator(rowOf('order-1001')).textContent())!;
    expect(alpha).to.include('alpha-deal').and.include('partner alpha').and.include('sub1=newsletter').and.include('120.00 USD').and.include('recorded');
    expect(await page.locator(rowOf('order-1002')).textContent()).to.include('40.00 EUR').and.include('no partner');
    // The merchant's order id, which a refund request names (a README pass found it only inside the Reverse form).
    expect(await page.locator(`${rowOf('order-1001')} [data-col="order"]`).textContent()).to.equal('order order-1001');
    await page.fill('#conversion-order', 'order-1002');
    await page.click('#conversion-apply');
    await page.locator(rowOf('order-1001')).waitFor({ state: 'detached', timeout: UI_WAIT });
    // A reload empties the table before the filtered page arrives (CI, 2026-12-06: counted 0 rows in between).
    await page.locator(rowOf('order-1002')).waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#conversions-table tbody tr').count()).to.equal(1);
    expect(page.url()).to.include('idempotencyKey=order-1002');
    await page.fill('#conversion-order', '');
    await page.click('#conversion-apply');
    await page.locator(rowOf('order-1001')).waitFor({ timeout: UI_WAIT });

    await page.fill('#conversion-partner', 'alpha');
    const today = new Date().toISOString().slice(0, 10);
    await page.fill('#conversion-to', today);
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/conversions?') && r.url().includes('partnerId=alpha'), { timeout: UI_WAIT }),
      page.click('#conversion-apply'),
    ]);
    // The last day is included: the API's exclusive `to` is the next day's start.
    const next = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString();
    expect(new URL(request.url()).searchParams.get('to')).to.equal(next);
    await page.locator(rowOf('order-1002')).waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(page.url()).to.include('#/conversions?').and.include('partnerId=alpha').and.include(`to=${today}`);

    await page.reload();
    await page.locator(rowOf('order-1001')).waitFor({ timeout: UI_WAIT });
    expect(await page.inputValue('#conversion-partner')).to.equal('alpha');
    expect(await page.inputValue('#conversion-to')).to.equal(today);
    expect(await page.locator('#conversions-table tbody tr').count()).to.equal(1);
    await shot(page, 'conversions-01-filtered');

    await page.selectOption('#conversion-status', 'reversed');
    await waitForText(page, '#conversions-table tr.empty', 'No conversion matches');
    expect(page.url()).to.include('status=reversed');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('reverses part of a conversion (its commission\'s adjustment shown), refuses more than remains (422 over_reversal, nothing reversed), then reverses the rest', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/conversions?partnerId=alpha');
    const row = page.locator(rowOf('order-1001'));
    await row.locator('[data-action="reverse"]').click();
    const form = page.locator(`tr[data-reversal-for="${ids['order-1001']}"]`);
    // Named by its id (its order key only shown): a key reused after its retention names the newest conversion.
    expect(await form.locator('.reverse-key').textContent()).to.equal('order-1001');
    await form.locator('input.reverse-amount').fill('30');
    await form.locator('select.reverse-reason').selectOption('refund');
    await form.locator('input.reverse-note').fill('one item returned');
    // A dialog says what the click takes back first; its Cancel sends nothing.
    const posts: string[] = [];
    page.on('request', (r) => void (r.method() === 'POST' && r.url().endsWith('/conversions/reversals') && posts.push(r.url())));
    await form.locator('[data-action="submit-reversal"]').click();
    await page.locator('dialog.confirm').waitFor({ timeout: UI_WAIT });
    await shot(page, 'conversions-02a-confirm');
    expect(await answerDialog(page, false)).to.include('Reverse 30.00 USD of order order-1001 (refund).').and.include('cannot be undone');
    expect(posts, 'Cancel in the dialog').to.deep.equal([]);
    expect((await conversion(ids['order-1001'])).reversedValue).to.equal(0);
    const [post] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/conversions/reversals'), { timeout: UI_WAIT }),
      form.locator('[data-action="submit-reversal"]').click().then(() => answerDialog(page)),
    ]);
    const sent = post.postDataJSON();
    expect(sent).to.include({ conversionId: ids['order-1001'], amount: 30, reason: 'refund', note: 'one item returned' });
    expect(sent).to.not.have.property('idempotencyKey');
    expect(sent.reversalKey).to.match(/^[0-9a-f-]{36}$/);
    await waitForText(page, '.reversal-done', 'Reversed 30.00 USD (refund)');
    // The commission's proportional adjustment: 10 % of 30.
    await waitForText(page, '.reversal-commissions tr[data-type="adjustment"]', '-3.00 USD');
    await waitForText(page, rowOf('order-1001'), 'partially reversed');
    expect(await row.locator('[data-col="reversed"]').textContent()).to.equal('30.00 USD');
    let stored = await conversion(ids['order-1001']);
    expect([stored.reversedValue, stored.status]).to.deep.equal([30, 'partially_reversed']);
    await shot(page, 'conversions-02-partial');
    // 1280 pixels wide, the row's sub-ID values and order key each read whole (a pass read "sub1=newslett" over "er-dec"):
    // a line breaks, if it must, after its "=".
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await row.locator('.subs > span').allTextContents()).to.deep.equal(['newsletter-dec', 'banner-top']);
    expect(await wrappedTexts(page, `${rowOf('order-1001')} :is(.subs > span, [data-col="order"])`)).to.deep.equal([]);
    await page.setViewportSize(DESKTOP_VIEWPORT);

    await form.locator('input.reverse-amount').fill('100');
    await form.locator('[data-action="submit-reversal"]').click();
    await answerDialog(page);
    await waitForText(page, '.reversal-result .alert-error', 'Nothing was reversed');
    expect(await form.locator('.reversal-result').textContent()).to.include('over_reversal').and.include('HTTP 422')
      .and.include('reversed so far: 30.00 USD');
    stored = await conversion(ids['order-1001']);
    expect(stored.reversedValue, 'the 422 reversed nothing').to.equal(30);
    await shot(page, 'conversions-03-over-reversal');

    // Amount left empty: all that remains (90).
    await form.locator('input.reverse-amount').fill('');
    await form.locator('select.reverse-reason').selectOption('chargeback');
    await form.locator('[data-action="submit-reversal"]').click();
    // Amount left empty: the dialog says what is reversed in words (the page does no sums of money).
    expect(await answerDialog(page)).to.include('Reverse all that remains of order order-1001 (chargeback): its value is 120.00 USD, 30.00 USD of it reversed before.');
    await waitForText(page, '.reversal-done', 'Reversed 90.00 USD (chargeback)');
    await waitForText(page, '.reversal-commissions tr[data-status="reversed"]', 'conversion');
    // Its status, not its text: "partially reversed" already held the word (a run read the row before its redraw).
    await page.locator(`${rowOf('order-1001')}[data-status="reversed"]`).waitFor({ timeout: UI_WAIT });
    expect(await row.locator('[data-action="reverse"]').count(), 'nothing left to reverse').to.equal(0);
    // The form stays open with its result, its Reverse disabled (a pass pressed it again and read "Leave the amount empty").
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLButtonElement | null)?.disabled === true,
      `tr[data-reversal-for="${ids['order-1001']}"] [data-action="submit-reversal"]`, { timeout: UI_WAIT });
    expect(await form.locator('.reversal-done').textContent()).to.include('Reversed 90.00 USD (chargeback)');
    stored = await conversion(ids['order-1001']);
    expect([stored.reversedValue, stored.status]).to.deep.equal([120, 'reversed']);
    const commissions = (await suite.server.http.get(`/v2/handles/${tenant.handle}/commissions?partnerId=alpha&type=conversion`).set(tenant.auth).expect(200)).body.data;
    expect(commissions.map((c: { status: string }) => c.status)).to.deep.equal(['reversed']);
    expect(session.unexpectedConsole([422])).to.deep.equal([]);
    expect(await atPhoneWidth(page, 'conversions-04-phone'), 'at phone width tables scroll in their own box, the page never sideways').to.deep.equal([[], 0]);
  });

  it('scopes: conversions.read alone lists without Reverse; without it there is no Conversions page', async () => {
    const reader = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['conversions.read'])).token;
    session = await openSession();
    await signIn(session.page, suite.server, tenant.handle, reader, '#/conversions');
    await session.page.locator(rowOf('order-1002')).waitFor({ timeout: UI_WAIT });
    expect(await session.page.locator('#conversions-table [data-action="reverse"]').count()).to.equal(0);
    expect(session.pageErrors).to.deep.equal([]);
    await session.close();

    const other = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['commissions.read'])).token;
    session = await openSession();
    await signIn(session.page, suite.server, tenant.handle, other, '#/conversions');
    expect(await navPages(session.page)).to.not.include('conversions');
    await waitForText(session.page, '.nav-hidden', 'Conversions (conversions.read)');
  });

  it('pages: 50 conversions a page, "Load more" fetches the next by cursor', async () => {
    for (let i = 0; i < 50; i++) await sale('beta-deal', `bulk-${i}`, 1, 'EUR');
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/conversions');
    await page.locator(rowOf('bulk-49')).waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#conversions-table tbody tr').count()).to.equal(50);
    // The next page fails once: the reason shows beside the button that was clicked, the 50 rows stay, and a second
    // click loads the page and clears it.
    const nextPage = (url: URL) => url.pathname.endsWith('/conversions') && url.searchParams.has('cursor');
    await page.route(nextPage, (route) => route.fulfill({
      status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'The database is unreachable.' } }),
    }));
    await page.locator('.table-more button', { hasText: 'Load more' }).click();
    await waitForText(page, '.table-more [role="alert"]', 'The database is unreachable.');
    expect(await page.locator('.table-more [role="alert"]').innerText()).to.contain('Could not load more');
    expect(await page.locator('#app [role="alert"]').count(), 'only beside the button').to.equal(1);
    expect(await page.locator('#conversions-table tbody tr').count()).to.equal(50);
    await page.unroute(nextPage);
    await page.locator('.table-more button', { hasText: 'Load more' }).click();
    await page.locator(rowOf('order-1001')).waitFor({ timeout: UI_WAIT });
    expect(await page.locator('.table-more [role="alert"]').count()).to.equal(0);
    const shown = await page.locator('#conversions-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.conversionId));
    expect(shown).to.have.length(52);
    expect(new Set(shown).size).to.equal(52);
  });

  it('reverses a conversion without a value (a lead paid a flat amount): whole, without an amount field, its commission reversed', async () => {
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/lead-flat`).set(tenant.auth)
      .send({ scope: { campaignId: 'alpha-deal' }, event: 'sale', type: 'flat', amount: 2.5, currency: 'USD' }).expect(201);
    const res = await fetch(`${suite.server.url}/${tenant.handle}/alpha-deal`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    // The conversion takes its sub-IDs from its click's row: under load the click can still be buffered past the
    // conversion's wait for it (a full run, 2026-12-05: the row read no sub1), so the row is stored first.
    await storedClicks(suite.server, tenant.handle, ++clicks, 15_000);
    const posted = await suite.server.http.post('/v2/public/conversions').set(tenant.auth).send({ ctx, eventType: 'sale', idempotencyKey: 'lead-1' }).expect(201);
    ids['lead-1'] = posted.body.conversionId;

    session = await openSession();
    const { page } = session;
    // After the paging test, which counts the conversions.
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/conversions?partnerId=alpha');
    // The API reverses it (once, whole); the page offered no Reverse for a conversion without a value.
    await page.locator(`${rowOf('lead-1')} [data-action="reverse"]`).click({ timeout: UI_WAIT });
    const form = page.locator(`tr[data-reversal-for="${ids['lead-1']}"]`);
    await form.locator('[data-action="submit-reversal"]').waitFor({ timeout: UI_WAIT });
    expect(await form.locator('input.reverse-amount').count(), 'no amount: it is reversed whole').to.equal(0);
    expect(await form.textContent()).to.include('whole');
    await form.locator('select.reverse-reason').selectOption('fraud');
    await form.locator('[data-action="submit-reversal"]').click();
    expect(await answerDialog(page)).to.include('Reverse this conversion of order lead-1 whole (fraud).');
    const done = form.locator('.reversal-done');
    await done.waitFor({ timeout: UI_WAIT });
    await shot(page, 'conversions-05-lead-reversed');
    expect(await done.textContent()).to.include('Reversed whole (fraud)').and.not.include('0.00');
    expect(await done.locator('tr[data-type="conversion"]').getAttribute('data-status')).to.equal('reversed');
    await page.locator(`${rowOf('lead-1')}[data-status="reversed"]`).waitFor({ timeout: UI_WAIT });
    expect(await page.locator(`${rowOf('lead-1')} [data-action="reverse"]`).count(), 'nothing left to reverse').to.equal(0);
    expect((await conversion(ids['lead-1'])).status).to.equal('reversed');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("funnel: a ctx-only conversion shows as such; one partner's view adds its commission column", async () => {
    const res = await fetch(`${suite.server.url}/${tenant.handle}/alpha-deal`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    await storedClicks(suite.server, tenant.handle, ++clicks, 15_000);
    // No merchant token: the handle's default publicConversions (flag) records it unauthenticated.
    const posted = await suite.server.http.post('/v2/public/conversions').send({ ctx, eventType: 'affiliate_click', value: 10, currency: 'USD', idempotencyKey: 'ctx-only-1' }).expect(201);
    expect(posted.body.authenticated).to.equal(false);
    const api = async (q: string) => (await suite.server.http.get(`/v2/handles/${tenant.handle}/analytics?funnel=true${q}`).set(tenant.auth).expect(200)).body;
    const all = await api('');
    expect(all.data.find((r: { campaignId: string }) => r.campaignId === 'alpha-deal').unauthenticatedConversions).to.equal(1);

    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/funnel');
    const cell = (campaign: string, col: string) => page.locator(`#funnel-table tr[data-campaign-id="${campaign}"] [data-col="${col}"]`);
    await waitForText(page, '#funnel-table tr[data-campaign-id="alpha-deal"] [data-extra="unauthenticated"]', '1 ctx only');
    expect(await cell('beta-deal', 'conversions').locator('[data-extra="unauthenticated"]').count()).to.equal(0);
    await waitForText(page, '#funnel-totals [data-stat="conversions"] [data-extra="unauthenticated"]', '1 ctx only');
    expect(await page.locator('#funnel-table thead th', { hasText: 'Commission' }).count(), 'no commission column for every partner').to.equal(0);

    // One partner's view: the API sends its commission (commissions.read), the table shows it, by currency.
    const alpha = await api('&partnerId=alpha');
    const earned = alpha.data[0].commission as Record<string, number>;
    expect(Object.keys(earned)).to.include('USD');
    await page.locator('#funnel-partner option[value="alpha"]').waitFor({ state: 'attached', timeout: UI_WAIT });
    await page.selectOption('#funnel-partner', 'alpha');
    await page.locator('#funnel-table tr[data-campaign-id="beta-deal"]').waitFor({ state: 'detached', timeout: UI_WAIT });
    await page.locator('#funnel-table thead th', { hasText: 'Commission' }).waitFor({ timeout: UI_WAIT });
    expect(await cell('alpha-deal', 'commission').locator('div').first().textContent()).to.equal(`${earned.USD.toFixed(2)} USD`);
    await shot(page, 'conversions-06-funnel-partner-commission');
    await page.selectOption('#funnel-partner', '');
    await page.locator('#funnel-table tr[data-campaign-id="beta-deal"]').waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#funnel-table thead th', { hasText: 'Commission' }).count()).to.equal(0);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });
});
