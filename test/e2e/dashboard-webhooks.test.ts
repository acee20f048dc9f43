import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { shot, UI_WAIT } from '../support/browser.ts';
import { navPages, signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createHandle, createToken } from '../support/server.ts';
import { startReceiver, verify, type Receiver } from '../support/webhooks.ts';

// Webhook management on the Notifications page (#/notifications) in Debian's Chromium: a webhook
// added with its secret shown once, pinged to a local receiver, its secret rotated and the webhook
// deleted after confirmations, the API's 400 and 403 shown next to the form. Each step asserts what
// the API then holds. The server runs with no secret overlap, so a rotated-out secret stops
// verifying at once. Screenshots: test/artifacts/webhooks-*.png.

describe('dashboard webhook management in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_SECRET_OVERLAP_S: '0' } });
  let receiver: Receiver;
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  const webhooks = () => `/v2/handles/${tenant.handle}/webhooks`;

  before(async () => {
    receiver = await startReceiver();
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
  });
  after(async () => {
    await receiver?.close();
  });

  it('adds a webhook (secret shown once), pings it, rotates its secret and deletes it once confirmed', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/notifications');
    await waitForText(page, '#webhooks-table tr.empty', 'No webhook yet');

    await page.fill('#webhook-url', receiver.url);
    await page.check('#webhook-form input[value="webhook.ping"]');
    await page.check('#webhook-form input[value="conversion.tested"]');
    const [post] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/webhooks'), { timeout: UI_WAIT }),
      page.click('#webhook-submit'),
    ]);
    expect(post.postDataJSON()).to.deep.equal({ endpointUrl: receiver.url, eventTypes: ['conversion.tested', 'webhook.ping'] });
    await page.locator('#webhook-secret .webhook-secret').waitFor({ timeout: UI_WAIT });
    const secret = (await page.locator('#webhook-secret .webhook-secret').textContent())!;
    expect(secret).to.match(/^whsec_/);
    const webhookId = (await page.locator('#webhook-secret .token-once').getAttribute('data-webhook-id'))!;
    const row = page.locator(`#webhooks-table tr[data-webhook-id="${webhookId}"]`);
    await waitForText(page, `#webhooks-table tr[data-webhook-id="${webhookId}"]`, receiver.url);
    expect(await row.textContent()).to.include('conversion.tested').and.include('webhook.ping').and.include('active');
    let stored = (await suite.server.http.get(`${webhooks()}/${webhookId}`).set(tenant.auth).expect(200)).body;
    expect([stored.endpointUrl, [...stored.eventTypes].sort(), stored.channel, stored.secretRotatedAt]).to.deep.equal([receiver.url, ['conversion.tested', 'webhook.ping'], 'webhook', null]);
    expect(await page.locator('#webhook-url').inputValue(), 'the form is reset').to.equal('');

    // Test ping: the receiver gets it, signed with the secret the page showed.
    await row.locator('[data-action="ping"]').click();
    await waitForText(page, `#webhooks-table tr[data-webhook-id="${webhookId}"] .alert-success`, 'Ping queued');
    await receiver.waitFor((r) => r.length === 1, 10_000, 'the first ping');
    verify(secret, receiver.received[0]!);
    expect(JSON.parse(receiver.received[0]!.body).type).to.equal('webhook.ping');
    await page.locator(`#webhook-summary [data-webhook-id="${webhookId}"]`).waitFor({ timeout: UI_WAIT });
    await shot(page, 'webhooks-01-added-pinged');

    // Rotate: Cancel keeps the secret; confirmed, a new one is shown once and the old one no longer verifies.
    await row.locator('[data-action="rotate"]').click();
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor({ timeout: UI_WAIT });
    expect(await dialog.textContent()).to.include('Rotate the signing secret').and.include(receiver.url);
    await dialog.locator('[data-confirm="cancel"]').click();
    expect((await suite.server.http.get(`${webhooks()}/${webhookId}`).set(tenant.auth).expect(200)).body.secretRotatedAt).to.equal(null);
    await row.locator('[data-action="rotate"]').click();
    await dialog.locator('[data-confirm="ok"]').click();
    await waitForText(page, '#webhook-secret .token-once', 'New signing secret');
    const rotated = (await page.locator('#webhook-secret .webhook-secret').textContent())!;
    expect(rotated).to.match(/^whsec_/).and.not.equal(secret);
    stored = (await suite.server.http.get(`${webhooks()}/${webhookId}`).set(tenant.auth).expect(200)).body;
    expect(stored.secretRotatedAt).to.be.a('string');
    await row.locator('[data-action="ping"]').click();
    await receiver.waitFor((r) => r.length === 2, 10_000, 'the ping after rotation');
    verify(rotated, receiver.received[1]!);
    expect(() => verify(secret, receiver.received[1]!), 'the rotated-out secret').to.throw();

    // Delete: Cancel keeps it; confirmed, the API answers 404 and the row is gone.
    await row.locator('[data-action="delete"]').click();
    await dialog.waitFor({ timeout: UI_WAIT });
    expect(await dialog.textContent()).to.include('cannot be undone');
    await dialog.locator('[data-confirm="cancel"]').click();
    await suite.server.http.get(`${webhooks()}/${webhookId}`).set(tenant.auth).expect(200);
    await row.locator('[data-action="delete"]').click();
    await dialog.locator('[data-confirm="ok"]').click();
    await row.waitFor({ state: 'detached', timeout: UI_WAIT });
    await suite.server.http.get(`${webhooks()}/${webhookId}`).set(tenant.auth).expect(404);
    await waitForText(page, '#webhooks-table tr.empty', 'No webhook yet');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('shows the API\'s 400 (endpoint refused) next to the form; offers the event types the token may not read disabled, and the API\'s 403 if one is sent anyway', async () => {
    const writer = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['webhooks.read', 'webhooks.write', 'notifications.read'])).token;
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, writer, '#/notifications');
    await page.locator('#webhook-form').waitFor({ timeout: UI_WAIT });

    // The SSRF guard: even with private addresses allowed, only http(s) endpoints are.
    await page.fill('#webhook-url', 'ftp://127.0.0.1/hook');
    await page.check('#webhook-form input[value="webhook.ping"]');
    await page.click('#webhook-submit');
    await waitForText(page, '#webhook-feedback .alert-error', 'endpoint_not_allowed');
    expect(await page.locator('#webhook-feedback').textContent()).to.include('Could not add the webhook').and.include('HTTP 400');

    // Event types whose data the token may not read are offered disabled, naming the scope they take.
    const box = (t: string) => page.locator(`#webhook-form input[value="${t}"]`);
    for (const t of ['commission.created', 'commission.updated', 'conversion.reversed', 'payout.created', 'payout.paid', 'partner.updated']) {
      expect(await box(t).isDisabled(), t).to.equal(true);
    }
    for (const t of ['link.clicked', 'conversion.tested', 'conversion.deduped', 'campaign.updated']) expect(await box(t).isDisabled(), t).to.equal(false);
    expect(await page.locator('#webhook-form label', { has: page.locator('input[value="conversion.reversed"]') }).textContent()).to.include('conversions.read, commissions.read');
    // Scopes can change while the page is open: what the API says then still shows next to the form.
    await page.fill('#webhook-url', receiver.url);
    await box('commission.created').evaluate((el) => ((el as HTMLInputElement).disabled = false));
    await page.check('#webhook-form input[value="commission.created"]');
    await page.click('#webhook-submit');
    await waitForText(page, '#webhook-feedback .alert-error', 'HTTP 403');
    expect(await page.locator('#webhook-feedback').textContent()).to.include('commissions.read');
    await shot(page, 'webhooks-02-refused');
    expect((await suite.server.http.get(webhooks()).set(tenant.auth).expect(200)).body.data).to.deep.equal([]);
    expect(session.unexpectedConsole([400, 403])).to.deep.equal([]);
  });

  it('scopes: webhooks.read alone lists the webhooks without the form or buttons', async () => {
    const made = (await suite.server.http.post(webhooks()).set(tenant.auth).send({ endpointUrl: receiver.url, eventTypes: ['campaign.updated'] }).expect(201)).body;
    const reader = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['webhooks.read', 'notifications.read'])).token;
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, reader, '#/notifications');
    await waitForText(page, `#webhooks-table tr[data-webhook-id="${made.webhookId}"]`, 'campaign.updated');
    await page.locator('[data-scope-note="webhooks.write"]').first().waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#webhook-form').count()).to.equal(0);
    expect(await page.locator('#webhooks-table [data-action]').count()).to.equal(0);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('scopes: webhooks.read and webhooks.write without notifications.read open Notifications to manage the webhooks, the deliveries named as hidden (the token had no page)', async () => {
    const made = (await suite.server.http.post(webhooks()).set(tenant.auth).send({ endpointUrl: receiver.url, eventTypes: ['campaign.updated'] }).expect(201)).body;
    const manager = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['webhooks.read', 'webhooks.write'])).token;
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, manager, '#/notifications');
    expect(await navPages(page)).to.deep.equal(['notifications']);
    await waitForText(page, `#webhooks-table tr[data-webhook-id="${made.webhookId}"]`, 'campaign.updated');
    await page.locator('[data-scope-note="notifications.read"]').waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#deliveries-table, #webhook-summary').count(), 'no deliveries asked for (the API would answer 403)').to.equal(0);
    await page.fill('#webhook-url', receiver.url);
    await page.check('#webhook-form input[value="webhook.ping"]');
    await page.click('#webhook-submit');
    await page.locator('#webhook-secret .webhook-secret').waitFor({ timeout: UI_WAIT });
    expect((await suite.server.http.get(webhooks()).set(tenant.auth).expect(200)).body.data).to.have.length.above(1);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('a health card\'s Send test ping says the ping is queued (it said nothing), also when the status filter hides it', async () => {
    const made = (await suite.server.http.post(webhooks()).set(tenant.auth).send({ endpointUrl: receiver.url, eventTypes: ['webhook.ping'] }).expect(201)).body;
    await suite.server.http.post(`${webhooks()}/${made.webhookId}/ping`).set(tenant.auth).expect(202);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/notifications');
    const card = page.locator(`#webhook-summary .webhook-card[data-webhook-id="${made.webhookId}"]`);
    await card.locator('button.ping').waitFor({ timeout: UI_WAIT });
    await page.selectOption('#delivery-status', 'failed');
    await card.locator('button.ping').click();
    await waitForText(page, `#webhook-summary .webhook-card[data-webhook-id="${made.webhookId}"] [role="status"]`, 'Ping queued');
    expect(await page.locator(`#webhook-summary .webhook-card[data-webhook-id="${made.webhookId}"] [role="status"]`).textContent()).to.include('the filter shows failed deliveries only');
    expect(await page.locator('#channel-note').textContent(), 'no note while every channel is enabled').to.equal('');
  });

  it('says above everything when a notification channel is disabled (every delivery through it fails, the webhooks still listed active)', async () => {
    await suite.server.http.put(`/v2/handles/${tenant.handle}/plugins/webhook`).set(tenant.auth).send({ enabled: false }).expect(200);
    try {
      session = await openSession();
      const { page } = session;
      await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/notifications');
      await waitForText(page, '#channel-note', 'Disabled on the Plugins page: webhook.');
      expect(await page.locator('#channel-note').textContent()).to.include('channel_disabled');
      await shot(page, 'webhooks-05-channel-disabled');
    } finally {
      await suite.server.http.put(`/v2/handles/${tenant.handle}/plugins/webhook`).set(tenant.auth).send({ enabled: true }).expect(200);
    }
  });
});
