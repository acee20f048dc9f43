import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { atPhoneWidth, shot, UI_WAIT } from '../support/browser.ts';
import { navPages, signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { storedClicks } from '../support/redirect.ts';
import { createHandle } from '../support/server.ts';
import { startReceiver, verify, type Receiver } from '../support/webhooks.ts';

// The partner portal's Postbacks page (#/postbacks) in Debian's Chromium: a partner adds a POST
// postback through the form (its signing secret shown once), sees it listed, a real sale's
// commission.created reaches a local receiver signed with that secret and shows among the
// postback's deliveries, and deletes it after a confirmation. A token without
// partner.postbacks.write sees the list and no controls; an unknown macro shows the API's 400 next
// to the form, which keeps the input. Each step asserts what the API then holds.
// Screenshots: test/artifacts/portal-postbacks-*.png.

const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('partner portal postbacks page in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  let receiver: Receiver;
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let writer: Awaited<ReturnType<typeof partnerToken>>;
  let reader: Awaited<ReturnType<typeof partnerToken>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  const postbacks = (path = '') => `/v2/handles/${tenant.handle}/partner/postbacks${path}`;
  const listed = async () => (await suite.server.http.get(postbacks()).set(writer.auth).expect(200)).body.data as { postbackId: string; urlTemplate: string; method: string; events: string[] }[];

  let clicks = 0;
  /** A visitor's click on alpha's short link (sub1=newsletter), then the merchant's server posting the order: 10 % is alpha's commission. */
  async function sale(key: string, value: number) {
    const res = await fetch(`${suite.server.url}/${tenant.handle}/alpha-deal?sub1=newsletter`, { redirect: 'manual', headers: { 'user-agent': DESKTOP } });
    expect(res.status).to.equal(302);
    const ctx = new URL(res.headers.get('location')!).searchParams.get('ctx')!;
    // The commission's {sub1} comes from the click's row: under load the click can still be buffered past the
    // conversion's wait for it (a full run, 2026-12-07: the postback read s1=''), so the row is stored first.
    await storedClicks(suite.server, tenant.handle, ++clicks, 15_000);
    await suite.server.http.post('/v2/public/conversions').set(tenant.auth).send({ ctx, eventType: 'affiliate_click', value, currency: 'USD', idempotencyKey: key }).expect(201);
  }

  before(async () => {
    receiver = await startReceiver();
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'alpha-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
      primaryLink: { slug: 'alpha-deal', destinationUrl: 'https://merchant.example.com/p?ref=alpha' },
    }).expect(201);
    await suite.server.http.put(`/v2/handles/${tenant.handle}/rewards/default-sale`).set(tenant.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }).expect(201);
    writer = await partnerToken(suite.server, tenant, 'alpha', { name: 'alpha tracker', scopes: ['partner.read', 'partner.postbacks.write'] });
    reader = await partnerToken(suite.server, tenant, 'alpha', { name: 'alpha reader' });
  });
  afterEach(async () => {
    for (const p of await listed()) await suite.server.http.delete(postbacks(`/${p.postbackId}`)).set(writer.auth).expect(200);
    receiver.received.splice(0);
  });
  after(async () => {
    await receiver?.close();
  });

  it('adds a POST postback through the form, shows its secret once, lists its delivery of a real commission, and deletes it after a confirmation', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, writer.token);
    expect(await navPages(page)).to.include('postbacks');
    await page.click('.nav-link[data-page="postbacks"]');
    await waitForText(page, '#postbacks-table', 'No postback yet: add one below.');
    // The macro list from API.md is the URL field's help, and the field says so to a screen reader.
    const help = await page.locator('#postback-macros').textContent();
    for (const m of ['{click_id}', '{amount}', '{sub1}', '{sub5}', '{occurred_at}']) expect(help).to.include(m);
    expect(await page.locator('#postback-url').getAttribute('aria-describedby')).to.equal('postback-macros');
    expect(await page.locator('label[for="postback-url"]').textContent()).to.equal('URL template');

    const template = `${receiver.url}?cid={click_id}&amount={amount}&currency={currency}&s1={sub1}`;
    await page.fill('#postback-url', template);
    await page.selectOption('#postback-method', 'POST');
    // commission.created is ticked by default; conversion.tested is added with the keyboard.
    await page.getByLabel('conversion.tested').focus();
    await page.keyboard.press('Space');
    await page.click('#postback-submit');
    const secret = (await page.locator('#postback-secret code.postback-secret').textContent({ timeout: UI_WAIT }))!;
    expect(secret).to.match(/^whsec_/);
    await waitForText(page, '#postback-secret', 'copy it now, it is not shown again');
    const [stored] = await listed();
    expect(stored).to.include({ urlTemplate: template, method: 'POST' });
    expect([...stored.events].sort()).to.deep.equal(['commission.created', 'conversion.tested']);
    const row = page.locator(`#postbacks-table tr[data-postback-id="${stored.postbackId}"]`);
    await row.waitFor({ timeout: UI_WAIT });
    expect(await row.locator('.long-url').textContent()).to.equal(template);
    expect(await page.locator('#postback-url').inputValue(), 'the form is emptied after a success').to.equal('');
    await shot(page, 'portal-postbacks-01-added');

    // A real sale: its commission.created is POSTed to the receiver, signed with the secret just shown.
    await sale('order-1', 50);
    await receiver.waitFor((r) => r.some((x) => JSON.parse(x.body).type === 'commission.created'), 15_000, 'the commission.created postback');
    const delivered = receiver.received.find((x) => JSON.parse(x.body).type === 'commission.created')!;
    expect(delivered.method).to.equal('POST');
    expect(() => verify(secret, delivered)).to.not.throw();
    const sent = new URL(delivered.url, 'http://x').searchParams;
    expect(Object.fromEntries(sent)).to.include({ currency: 'USD', s1: 'newsletter' });
    expect(Number(sent.get('amount'))).to.equal(5);

    // The page refreshes the postback's deliveries by itself: the delivery shows succeeded, HTTP 200.
    const delivery = page.locator(`tr.detail[data-deliveries-of="${stored.postbackId}"] tr[data-status="succeeded"]`, { hasText: 'commission.created' });
    await delivery.waitFor({ timeout: 15_000 });
    expect(await delivery.locator('td[data-col="response"]').textContent()).to.equal('HTTP 200');
    // Both of its events arrived (conversion.tested first): the postback's counts say so.
    await waitForText(page, `tr.detail[data-deliveries-of="${stored.postbackId}"] [data-count="succeeded"]`, '2 succeeded');
    await delivery.locator('summary').click();
    await delivery.locator('table.attempts', { hasText: 'HTTP 200' }).waitFor({ timeout: UI_WAIT });
    await shot(page, 'portal-postbacks-02-delivered');

    // Delete: Cancel first keeps it, then confirmed it goes, from the page and from the API.
    await row.locator('button[data-action="delete"]').click();
    await page.locator('dialog.confirm').waitFor({ timeout: UI_WAIT });
    await shot(page, 'portal-postbacks-03-confirm');
    await page.keyboard.press('Escape');
    await page.locator('dialog.confirm').waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(await listed()).to.have.length(1);
    await row.locator('button[data-action="delete"]').click();
    await page.click('dialog.confirm [data-confirm="ok"]');
    await waitForText(page, '#postbacks-table', 'No postback yet: add one below.');
    expect(await listed()).to.deep.equal([]);
    // No failed request: the page learns its write scope from GET …/partner/token.
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('the manager\'s notifications panel names the partner of a postback that has no delivery yet', async () => {
    const created = (await suite.server.http.post(postbacks()).set(writer.auth)
      .send({ urlTemplate: `${receiver.url}?c={conversion_id}`, events: ['commission.created'] }).expect(201)).body;
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/notifications');
    const card = page.locator(`#webhook-summary [data-webhook-id="${created.postbackId}"]`);
    await card.waitFor({ timeout: UI_WAIT });
    // From the summary's partnerId: the card said "Postback of partner (no delivery shown yet)" when none was on the page.
    expect(await card.getAttribute('data-postback')).to.equal('true');
    expect(await card.locator('.strong').textContent()).to.equal('Postback of partner alpha');
    expect(await card.locator('button.ping').count(), 'a ping is for the handle\'s own webhooks').to.equal(0);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('an unknown macro or a refused endpoint shows the API\'s 400 next to the form, keeping what was typed; fixed, a GET postback is added without a secret', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, writer.token, '#/postbacks');
    await page.locator('#postback-form').waitFor({ timeout: UI_WAIT });
    const bad = 'https://tracker.example.com/pb?cid={click_id}&payout={payout}';
    await page.fill('#postback-url', bad);
    await page.press('#postback-url', 'Enter'); // the keyboard submits the form
    const api = await suite.server.http.post(postbacks()).set(writer.auth).send({ urlTemplate: bad, events: ['commission.created'] }).expect(400);
    await waitForText(page, '#postback-feedback [role="alert"]', api.body.error.message);
    expect(api.body.error.message).to.include('{payout}');
    expect(await page.locator('#postback-feedback').textContent()).to.include('HTTP 400');
    expect(await page.locator('#postback-url').inputValue()).to.equal(bad);
    expect(await page.locator('#postback-secret').textContent()).to.equal('');
    expect(await listed()).to.deep.equal([]);
    await shot(page, 'portal-postbacks-04-bad-macro');

    // The SSRF rules' refusal shows the same way (a scheme no tracker speaks).
    await page.fill('#postback-url', 'ftp://tracker.example.com/pb?cid={click_id}');
    await page.click('#postback-submit');
    await waitForText(page, '#postback-feedback', 'endpoint_not_allowed · HTTP 400');
    expect(await page.locator('#postback-url').inputValue()).to.equal('ftp://tracker.example.com/pb?cid={click_id}');

    // Fixed, a GET postback is added: the error goes, no secret (a GET is not signed), it is listed.
    const good = 'https://tracker.example.com/pb?cid={click_id}&payout={amount}';
    await page.fill('#postback-url', good);
    await page.click('#postback-submit');
    await waitForText(page, '#postback-secret', 'A GET postback is not signed');
    expect(await page.locator('#postback-feedback').textContent()).to.equal('');
    expect(await page.locator('#postback-secret code').count()).to.equal(0);
    const [stored] = await listed();
    expect(stored).to.include({ urlTemplate: good, method: 'GET' });
    expect(stored.events).to.deep.equal(['commission.created']);
    await page.locator(`#postbacks-table tr[data-postback-id="${stored.postbackId}"]`).waitFor({ timeout: UI_WAIT });
    expect(session.unexpectedConsole([400])).to.deep.equal([]);
  });

  it('shows a postback\'s 5 newest deliveries, and the older ones a "Show 20 more" at a time, newest first as the API lists them', async () => {
    const created = await suite.server.http.post(postbacks()).set(writer.auth)
      .send({ urlTemplate: `${receiver.url}?cid={click_id}&amount={amount}`, events: ['conversion.tested', 'commission.created'] }).expect(201);
    const { postbackId } = created.body;
    // Four sales: a conversion.tested and a commission.created each, 8 deliveries.
    for (let i = 1; i <= 4; i++) await sale(`more-${i}`, 10 * i);
    await receiver.waitFor((r) => r.length >= 8, 15_000, 'the 8 postback calls');
    const all = async () => (await suite.server.http.get(postbacks(`/${postbackId}/deliveries?limit=500`)).set(writer.auth).expect(200)).body.data as { deliveryId: string; status: string }[];
    const deadline = Date.now() + 15_000;
    while ((await all()).some((d) => d.status !== 'succeeded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const ids = (await all()).map((d) => d.deliveryId);
    expect(ids).to.have.length(8);

    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, writer.token, '#/postbacks');
    const detail = page.locator(`tr.detail[data-deliveries-of="${postbackId}"]`);
    const shown = () => detail.locator('tr[data-delivery-id]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.deliveryId));
    await waitForText(page, `tr.detail[data-deliveries-of="${postbackId}"] .table-more`, '5 newest shown');
    expect(await shown()).to.deep.equal(ids.slice(0, 5));
    await shot(page, 'portal-postbacks-07-five-newest');
    await detail.locator('button[data-action="more-deliveries"]').click();
    await detail.locator('tr[data-delivery-id]').nth(7).waitFor({ timeout: UI_WAIT });
    expect(await shown()).to.deep.equal(ids);
    // All shown: no button, and the page's own refresh keeps all 8 (it refetches as many as were asked for).
    expect(await detail.locator('button[data-action="more-deliveries"]').count()).to.equal(0);
    await page.waitForTimeout(4_500);
    expect(await shown()).to.deep.equal(ids);
    await shot(page, 'portal-postbacks-08-more-deliveries');
    // Another postback added through the form redraws the list: this one still shows the 8 asked for, not 5.
    await page.fill('#postback-url', 'https://tracker.example.com/pb?cid={click_id}');
    await page.click('#postback-submit');
    await waitForText(page, '#postback-secret', 'A GET postback is not signed');
    expect((await listed()).length).to.equal(2);
    await page.locator('#postbacks-table tr.detail').nth(1).waitFor({ timeout: UI_WAIT });
    await detail.locator('tr[data-delivery-id]').nth(7).waitFor({ timeout: UI_WAIT });
    expect(await shown()).to.deep.equal(ids);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('a token without partner.postbacks.write sees the list, a note naming the scope, and no controls; a long URL wraps', async () => {
    const long = `https://tracker.example.com/${'segment-'.repeat(60)}end?cid={click_id}&amount={amount}`;
    const created = await suite.server.http.post(postbacks()).set(writer.auth).send({ urlTemplate: long, events: ['commission.created'] }).expect(201);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, reader.token, '#/postbacks');
    const row = page.locator(`#postbacks-table tr[data-postback-id="${created.body.postbackId}"]`);
    await row.waitFor({ timeout: UI_WAIT });
    expect(await row.locator('.long-url').textContent()).to.equal(long);
    await page.locator('[data-scope-note="partner.postbacks.write"]').waitFor({ timeout: UI_WAIT });
    expect(await page.locator('[data-scope-note="partner.postbacks.write"]').textContent()).to.include('lacks the partner.postbacks.write scope');
    expect(await page.locator('#postback-form').count()).to.equal(0);
    expect(await page.locator('#postbacks-table button[data-action="delete"]').count()).to.equal(0);
    await waitForText(page, `tr.detail[data-deliveries-of="${created.body.postbackId}"]`, 'No delivery yet');
    // The 500-character template breaks inside its cell: the table is no wider than its card.
    const overflow = await page.evaluate(() => {
      const wrap = document.querySelector('#postbacks-table')!.closest('.table-wrap') as HTMLElement;
      return wrap.scrollWidth - wrap.clientWidth;
    });
    expect(overflow).to.be.at.most(0);
    await shot(page, 'portal-postbacks-05-read-only');
    // On a phone nothing is cut off: the table scrolls inside its card, the page never sideways.
    const [cut, pageOverflow] = await atPhoneWidth(page, 'portal-postbacks-06-phone');
    expect(cut).to.deep.equal([]);
    expect(pageOverflow).to.be.at.most(0);
    // The page's write check answered 403 (the scope is missing): the only failed request.
    expect(session.unexpectedConsole([403])).to.deep.equal([]);
  });
});
