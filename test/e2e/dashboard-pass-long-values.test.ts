import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { browserSuite } from '../support/browser-suite.ts';
import { clippedInWrap, PHONE_VIEWPORT, shot } from '../support/browser.ts';
import { answerDialog, clickNav, signIn, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle } from '../support/server.ts';

// Long values the API accepts, in a 1360-pixel window: a 64-character campaign id (the longest its
// pattern allows) and a 200-character partner name with markup in it. They are shown as text, and
// they must not push a table's other columns (its Pause, Edit, Suspend buttons) out of view, nor make
// the page scroll sideways. A long id without a space stayed on one line (nowrap) and a long name
// without a space could not break at all: the Partners table was 1,200 px wider than its card, and the
// portal's Overview scrolled 1,800 px sideways. Screenshots: test/artifacts/pass-long-*.png.

const LONG_ID = 'partner-alpha-black-friday-2026-newsletter-top-banner-and-footer';
const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script> ';
const LONG_NAME = HOSTILE + 'W'.repeat(200 - HOSTILE.length);
const LONG_SUB = 'L'.repeat(100); // the longest sub-ID the redirect keeps
const LONG_KEY = `order-${'K'.repeat(249)}`; // 255 characters, the longest order key
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('dashboard in a real browser: long ids and names keep every column in view', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);

  /** Markup the page would have made from an API string: none may exist. */
  const injected = (page: Page) => page.evaluate(() => document.querySelectorAll('main img[src="x"], main script, [onerror]').length);
  const pageOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  before(async () => {
    expect(LONG_ID).to.have.length(64);
    expect(LONG_NAME).to.have.length(200);
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'evil', { name: LONG_NAME });
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: LONG_ID, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'evil',
      primaryLink: { slug: 'bf-2026', destinationUrl: 'https://merchant.example.com/p?ref=bf', title: LONG_NAME },
    }).expect(201);
    const res = await fetch(`${suite.server.url}/${tenant.handle}/bf-2026?sub1=${encodeURIComponent(HOSTILE)}&sub3=${LONG_SUB}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    expect(res.status).to.equal(302);
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    // 10 %: the reversal then shows the commission row it appended, in a table of its own under the form.
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/ten-percent`).set(tenant.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }).expect(201);
    await suite.server.http.post('/v2/public/conversions').set(tenant.auth)
      .send({ ctx, eventType: 'affiliate_click', value: 120, currency: 'USD', idempotencyKey: LONG_KEY }).expect(201);
  });

  const dialogs: string[] = [];
  async function open(hash: string, token = tenant.ownerToken, viewport = { width: 1360, height: 900 }) {
    session = await openSession(viewport);
    session.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(session.page, suite.server, tenant.handle, token, hash);
    return session.page;
  }
  afterEach(() => expect(dialogs, 'dialogs opened by API strings').to.deep.equal([]));

  it('campaigns: a 64-character campaign id leaves the short link, Pause and Edit in view', async () => {
    const page = await open('#/campaigns');
    await page.locator(`#campaigns-table tr[data-campaign-id="${LONG_ID}"] [data-action="edit"]`).waitFor();
    await shot(page, 'pass-long-campaigns');
    expect(await injected(page)).to.equal(0);
    expect(await clippedInWrap(page, '#campaigns-table')).to.deep.equal({ overflow: 0, clipped: [] });
  });

  it('partners: a 200-character name leaves email, status and the row\'s buttons in view', async () => {
    const page = await open('#/partners');
    const row = page.locator('#partners-table tr[data-partner-id="evil"]');
    await row.waitFor();
    await shot(page, 'pass-long-partners');
    expect(await row.locator('td').first().textContent()).to.include(LONG_NAME);
    expect(await injected(page)).to.equal(0);
    expect(await clippedInWrap(page, '#partners-table')).to.deep.equal({ overflow: 0, clipped: [] });
  });

  it('funnel: a 64-character campaign id leaves every column in view', async () => {
    const page = await open('#/funnel');
    await page.locator(`#funnel-table tr[data-campaign-id="${LONG_ID}"]`).waitFor();
    await shot(page, 'pass-long-funnel');
    expect(await clippedInWrap(page, '#funnel-table')).to.deep.equal({ overflow: 0, clipped: [] });
  });

  it('portal overview: the partner\'s long name wraps inside its card, the page does not scroll sideways', async () => {
    const { token } = await partnerToken(suite.server, tenant, 'evil');
    const page = await open('#/portal', token);
    const name = page.locator('#portal-profile [data-stat="name"] .stat-value');
    await name.waitFor();
    await shot(page, 'pass-long-portal');
    expect(await name.textContent()).to.equal(LONG_NAME);
    expect(await injected(page)).to.equal(0);
    expect(await pageOverflow(page)).to.equal(0);
    const [card, value] = await Promise.all([
      page.locator('#portal-profile [data-stat="name"]').boundingBox(),
      page.locator('#portal-profile [data-stat="name"] .stat-value').evaluate((el) => el.scrollWidth),
    ]);
    expect(value, 'the name fits its card').to.be.at.most(card!.width);
  });

  it('portal sub-IDs: a 100-character sub-ID (the longest kept) leaves clicks, conversions and revenue in view', async () => {
    const { token } = await partnerToken(suite.server, tenant, 'evil');
    const page = await open('#/subids', token);
    await page.selectOption('#subid-slot', 'sub3');
    await page.locator(`#breakdown-subid tr[data-key="${LONG_SUB}"]`).waitFor();
    await shot(page, 'pass-long-subids');
    expect(await clippedInWrap(page, '#breakdown-subid')).to.deep.equal({ overflow: 0, clipped: [] });
    // The level is kept in the URL: a reload shows sub3 again (it fell back to sub1).
    expect(new URL(page.url()).hash).to.equal('#/subids?slot=sub3');
    await page.reload();
    await page.locator(`#breakdown-subid tr[data-key="${LONG_SUB}"]`).waitFor();
    expect(await page.inputValue('#subid-slot')).to.equal('sub3');
    await page.selectOption('#subid-slot', 'sub1');
    await page.locator('#breakdown-subid tr[data-key]').first().waitFor();
    expect(await page.locator('#breakdown-subid tr[data-key] td').first().locator('div').first().textContent()).to.include('<img src=x onerror=alert(1)><script>');
    expect(await injected(page)).to.equal(0);
  });

  it('conversions: a reversal with a 1000-character note, of an order with a 255-character key, leaves the table\'s columns in view', async () => {
    const page = await open('#/conversions');
    const row = page.locator('#conversions-table tbody tr', { hasText: LONG_ID }).first();
    await row.waitFor();
    await row.locator('button', { hasText: 'Reverse' }).click();
    await page.fill('.reverse-amount', '10');
    const note = HOSTILE + 'N'.repeat(1000 - HOSTILE.length);
    await page.fill('.reverse-note', note);
    await page.click('[data-action="submit-reversal"]');
    await answerDialog(page);
    await page.locator('.reversal-done').waitFor();
    await shot(page, 'pass-long-reversal');
    expect(await page.locator('.reversal-done').textContent()).to.include(note.trim());
    expect(await page.locator('.reverse-key').textContent()).to.equal(LONG_KEY);
    await page.locator('.reversal-done tr[data-type="adjustment"]').waitFor();
    expect(await injected(page)).to.equal(0);
    const { overflow } = await clippedInWrap(page, '#conversions-table');
    expect(overflow, 'how much wider than its card the conversions table became').to.equal(0);
  });

  it('partners, reward rules, payouts: a 130-character email, a 64-character rule id, a 255-character payment reference and a 200-character token name leave the buttons in view', async () => {
    const email = `${'e'.repeat(60)}@${'d'.repeat(56)}.example.com`;
    await createPartner(suite.server, tenant, 'payee', { name: 'Payee Media', email });
    await partnerToken(suite.server, tenant, 'payee', { name: 'T'.repeat(200) });
    const ruleId = 'r'.repeat(64);
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/${ruleId}`).set(tenant.auth)
      .send({ scope: { campaignId: LONG_ID, partnerId: 'evil' }, event: 'click', type: 'flat', amount: 0.05, holdDays: 0 }).expect(201);
    // One approved commission of payee's, paid with a long reference.
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'payee-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'payee',
      primaryLink: { slug: 'payee-deal', destinationUrl: 'https://merchant.example.com/p?ref=payee' },
    }).expect(201);
    const res = await fetch(`${suite.server.url}/${tenant.handle}/payee-deal`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    await suite.server.http.post('/v2/public/conversions').set(tenant.auth)
      .send({ ctx, eventType: 'affiliate_click', value: 50, currency: 'USD', idempotencyKey: 'payee-order-1' }).expect(201);
    const { body: list } = await suite.server.http.get(`/v2/handles/${tenant.handle}/commissions?partnerId=payee`).set(tenant.auth).expect(200);
    await suite.server.http.patch(`/v2/handles/${tenant.handle}/commissions/${list.data[0].commissionId}`).set(tenant.auth).send({ status: 'approved', reason: 'checked' }).expect(200);
    const { body: run } = await suite.server.http.post(`/v2/handles/${tenant.handle}/payouts`).set(tenant.auth)
      .send({ idempotencyKey: 'run-payee', partnerIds: ['payee'], periodEnd: list.data[0].holdUntil }).expect(201);
    await suite.server.http.post(`/v2/handles/${tenant.handle}/payouts/${run.data[0].payoutId}/mark-paid`).set(tenant.auth).send({ reference: 'W'.repeat(255) }).expect(200);

    const page = await open('#/partners');
    await page.locator('#partners-table tr[data-partner-id="payee"] [data-action="tokens"]').click();
    await page.locator('.partner-tokens tr[data-token-id]').first().waitFor();
    await shot(page, 'pass-long-partner-tokens');
    expect(await clippedInWrap(page, '#partners-table'), 'partners').to.deep.equal({ overflow: 0, clipped: [] });
    await page.click('.nav-link[data-page="rewards"]');
    await page.locator(`#rewards-table tr[data-reward-id="${ruleId}"]`).waitFor();
    expect(await clippedInWrap(page, '#rewards-table'), 'reward rules').to.deep.equal({ overflow: 0, clipped: [] });
    await page.click('.nav-link[data-page="payouts"]');
    await page.locator('#payouts-table tr[data-payout-id]').first().waitFor();
    await shot(page, 'pass-long-payouts');
    expect(await clippedInWrap(page, '#payouts-table'), 'payouts').to.deep.equal({ overflow: 0, clipped: [] });
  });

  it('a 1280-pixel window: a pending payout\'s reference field, Mark paid and Cancel stay inside the payouts table', async () => {
    await createPartner(suite.server, tenant, 'pending-payee', { name: 'Pending Payee' });
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'pending-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'pending-payee',
      primaryLink: { slug: 'pending-deal', destinationUrl: 'https://merchant.example.com/p?ref=pending' },
    }).expect(201);
    const res = await fetch(`${suite.server.url}/${tenant.handle}/pending-deal`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    await suite.server.http.post('/v2/public/conversions').set(tenant.auth)
      .send({ ctx, eventType: 'affiliate_click', value: 1234567.89, currency: 'USD', idempotencyKey: 'pending-order-1' }).expect(201);
    const { body: list } = await suite.server.http.get(`/v2/handles/${tenant.handle}/commissions?partnerId=pending-payee`).set(tenant.auth).expect(200);
    await suite.server.http.patch(`/v2/handles/${tenant.handle}/commissions/${list.data[0].commissionId}`).set(tenant.auth).send({ status: 'approved', reason: 'checked' }).expect(200);
    await suite.server.http.post(`/v2/handles/${tenant.handle}/payouts`).set(tenant.auth)
      .send({ idempotencyKey: 'run-pending', partnerIds: ['pending-payee'], periodEnd: list.data[0].holdUntil }).expect(201);

    const page = await open('#/payouts', tenant.ownerToken, { width: 1280, height: 900 });
    await page.locator('#payouts-table tr[data-status="pending"] [data-action="mark-paid"]').waitFor();
    await shot(page, 'pass-long-payouts-1280');
    expect(await clippedInWrap(page, '#payouts-table')).to.deep.equal({ overflow: 0, clipped: [] });
  });

  it('campaigns: the editor\'s partner picker, whose options hold a 200-character name, stays inside the table', async () => {
    const page = await open('#/campaigns');
    await page.locator(`#campaigns-table tr[data-campaign-id="${LONG_ID}"] [data-action="edit"]`).click();
    await page.locator('#campaigns-table tr.detail select, #campaigns-table tr.detail input').first().waitFor();
    await shot(page, 'pass-long-campaign-editor');
    expect((await clippedInWrap(page, '#campaigns-table')).overflow).to.equal(0);
  });

  it('phone: the campaign editor is held in view while its table scrolls, and an empty table\'s sentence is whole', async () => {
    // The editor sat in the 825-pixel table: Title, Save and the labels' starts were off a 390-pixel screen.
    const page = await open('#/campaigns', tenant.ownerToken, PHONE_VIEWPORT);
    await page.locator(`#campaigns-table tr[data-campaign-id="${LONG_ID}"] [data-action="edit"]`).click();
    const save = page.locator('#campaigns-table tr.campaign-editor button[type="submit"]');
    await save.waitFor();
    // As it opens: the table scrolled to its start (x is the screen's; y may be below it).
    await save.evaluate((el) => (el.closest('.table-wrap')!.scrollLeft = 0));
    const box = (await save.boundingBox())!;
    expect(box.x, 'Save starts on the screen').to.be.at.least(0);
    expect(box.x + box.width, 'and ends on it').to.be.at.most(PHONE_VIEWPORT.width);
    await shot(page, 'pass-phone-campaign-editor');
    // A table with no row yet (here the webhooks'): its sentence was centred in the whole table's width and cut off.
    await page.goto(page.url().replace(/#.*$/, '#/notifications'));
    const sentence = page.locator('tr.empty td > div').first();
    await sentence.waitFor();
    await sentence.scrollIntoViewIfNeeded();
    const text = (await sentence.boundingBox())!;
    expect(text.x + text.width, 'the sentence ends on the screen').to.be.at.most(PHONE_VIEWPORT.width);
  });

  it('phone width: the campaign picker of a 64-character id and a long partner name in the header keep the page from scrolling sideways', async () => {
    let page = await open('#/funnel', tenant.ownerToken, PHONE_VIEWPORT);
    await page.locator(`#export-campaign option[value="${LONG_ID}"]`).waitFor({ state: 'attached' });
    await shot(page, 'pass-long-funnel-phone');
    expect(await pageOverflow(page), 'funnel').to.equal(0);
    await clickNav(page, 'breakdowns');
    await page.locator(`#breakdown-campaign option[value="${LONG_ID}"]`).waitFor({ state: 'attached' });
    expect(await pageOverflow(page), 'breakdowns').to.equal(0);
    await session!.close();

    const { token } = await partnerToken(suite.server, tenant, 'evil');
    page = await open('#/links', token, PHONE_VIEWPORT);
    await page.locator(`#portal-campaigns tr[data-campaign-id="${LONG_ID}"]`).waitFor();
    await shot(page, 'pass-long-portal-phone');
    expect(await page.locator('.tenant-name').textContent()).to.equal(LONG_NAME);
    expect(await pageOverflow(page), 'portal links').to.equal(0);
    // The stacked row: the id wraps beside its status badge, it did not run on under it.
    const row = page.locator(`#portal-campaigns tr[data-campaign-id="${LONG_ID}"]`);
    const [id, badge] = await Promise.all([row.locator('td').first().locator('div').first().evaluate((el) => el.scrollWidth + el.getBoundingClientRect().left), row.locator('.badge').boundingBox()]);
    expect(id, 'the id ends before its badge begins').to.be.at.most(badge!.x);
  });
});
