import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { atPhoneWidth, buttonsUnderFirstColumn, PHONE_VIEWPORT, shot, UI_WAIT } from '../support/browser.ts';
import { signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, createToken } from '../support/server.ts';

// What a network manager used to do with curl, done on the Partners page in Debian's Chromium:
// a partner's tokens (list, revoke after a confirmation, issue one on purpose with its scopes),
// editing a partner, and suspending only after saying what suspension does. Each test asserts what
// the API then holds. Screenshots: test/artifacts/partners-admin-*.png.

describe('dashboard partners administration in a real browser: tokens, editing, suspension', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  const api = (path: string) => suite.server.http.get(`/v2/handles/${tenant.handle}${path}`).set(tenant.auth);
  /** What a partner token gets on its realm's profile: 200 while valid, 401 once revoked. */
  const profileStatus = async (token: string) => (await suite.server.http.get(`/v2/handles/${tenant.handle}/partner`).set({ Authorization: `Bearer ${token}` })).status;

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
  });

  it('tokens: lists a partner\'s tokens, revokes one only once confirmed (it then gets 401), issues one with chosen scopes shown once with Copy', async () => {
    await createPartner(suite.server, tenant, 'delta', { name: 'Delta Media' });
    const old = await partnerToken(suite.server, tenant, 'delta', { name: 'old laptop' });
    expect(await profileStatus(old.token)).to.equal(200);
    session = await openSession();
    const { page } = session;
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.server.url });
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    const row = page.locator('#partners-table tr[data-partner-id="delta"]');
    await row.locator('[data-action="tokens"]').click();
    const panel = page.locator('tr[data-detail-for="delta"][data-panel="tokens"]');
    const oldRow = panel.locator(`tr[data-token-id="${old.tokenId}"]`);
    await oldRow.waitFor({ timeout: UI_WAIT });
    expect(await oldRow.textContent()).to.include('old laptop').and.include('partner.read').and.include('active');

    // Cancel in the confirmation: nothing happens.
    await oldRow.locator('[data-action="revoke"]').click();
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor({ timeout: UI_WAIT });
    expect(await dialog.textContent()).to.include('old laptop').and.include('401').and.include('cannot be undone');
    await shot(page, 'partners-admin-01-revoke-confirm');
    await dialog.locator('[data-confirm="cancel"]').click();
    await dialog.waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(await profileStatus(old.token), 'still valid after Cancel').to.equal(200);

    await oldRow.locator('[data-action="revoke"]').click();
    await dialog.locator('[data-confirm="ok"]').click();
    await panel.locator(`tr[data-token-id="${old.tokenId}"][data-state="revoked"]`).waitFor({ timeout: UI_WAIT });
    expect(await profileStatus(old.token), 'revoked from the page').to.equal(401);
    expect(await panel.locator(`tr[data-token-id="${old.tokenId}"] [data-action="revoke"]`).count()).to.equal(0);

    // Issuing is deliberate: a name and scopes, then the secret once.
    await panel.locator('input.token-name').fill('Jane at Delta');
    await panel.locator('input[name="scopes"][value="partner.postbacks.write"]').check();
    const [post] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/partners/delta/tokens'), { timeout: UI_WAIT }),
      panel.locator('[data-action="issue"]').click(),
    ]);
    expect(post.postDataJSON()).to.deep.equal({ name: 'Jane at Delta', scopes: ['partner.read', 'partner.postbacks.write'] });
    const secret = panel.locator('.issued-token');
    await secret.waitFor({ timeout: UI_WAIT });
    const token = (await secret.textContent())!;
    expect(token).to.match(/^tenx_ptk_/);
    await panel.locator('.token-once button.copy').click();
    await panel.locator('.token-once button.copy', { hasText: 'Copied' }).waitFor({ timeout: UI_WAIT });
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(token);
    expect(await profileStatus(token)).to.equal(200);
    const listed = (await api('/partners/delta/tokens').expect(200)).body.data as Array<{ name: string; scopes: string[]; revokedAt: string | null }>;
    expect(listed.map((t) => [t.name, t.scopes, Boolean(t.revokedAt)])).to.have.deep.members([
      ['old laptop', ['partner.read'], true],
      ['Jane at Delta', ['partner.read', 'partner.postbacks.write'], false],
    ]);
    await waitForText(page, 'tr[data-detail-for="delta"] tbody tr', 'Jane at Delta');
    expect(await secret.count(), 'one secret shown, once').to.equal(1);
    expect(await panel.locator('input[name="scopes"]:checked').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), 'the form is back to its default')
      .to.deep.equal(['partner.read']);
    await shot(page, 'partners-admin-02-tokens');

    // No scope ticked: said so, nothing posted.
    await panel.locator('input.token-name').fill('nothing');
    await panel.locator('input[name="scopes"][value="partner.read"]').uncheck();
    await panel.locator('[data-action="issue"]').click();
    await waitForText(page, 'tr[data-detail-for="delta"] .token-issue .alert-error', 'at least one scope');
    expect(await secret.textContent(), 'a refused attempt does not hide the secret shown once').to.equal(token);
    expect((await api('/partners/delta/tokens').expect(200)).body.data).to.have.length(2);
    // Revoking the token just issued takes its secret off the page: a dead token is not offered to copy (a dashboard pass).
    const issuedId = (await api('/partners/delta/tokens').expect(200)).body.data.find((t: { name: string }) => t.name === 'Jane at Delta').tokenId;
    await panel.locator(`tr[data-token-id="${issuedId}"] [data-action="revoke"]`).click();
    await dialog.locator('[data-confirm="ok"]').click();
    await panel.locator(`tr[data-token-id="${issuedId}"][data-state="revoked"]`).waitFor({ timeout: UI_WAIT });
    expect(await secret.count()).to.equal(0);
    expect(session.unexpectedConsole()).to.deep.equal([]);
    expect(await atPhoneWidth(page, 'partners-admin-05-phone'), 'at phone width tables scroll in their own box, the page never sideways').to.deep.equal([[], 0]);
  });

  it('edit: changes a partner\'s name, email (emptied: none) and minimum payout with one PATCH; the API\'s 400 shows in place; read-only tokens get no Edit', async () => {
    await createPartner(suite.server, tenant, 'echo', { name: 'Echo Ads', email: 'pay@echo.example', minimumPayout: 50 });
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    const row = page.locator('#partners-table tr[data-partner-id="echo"]');
    // The email wraps after its "@" and before a dot first (it broke anywhere: "payou/ts@al/pha.e/xampl/e"), and copies whole.
    const email = row.locator('td.email');
    expect(await email.evaluate((el) => el.innerHTML)).to.equal('pay@<wbr>echo<wbr>.example');
    expect(await email.textContent()).to.equal('pay@echo.example');
    await row.locator('[data-action="edit"]').click();
    const editor = page.locator('tr[data-detail-for="echo"][data-panel="edit"]');
    expect(await editor.locator('input.edit-minimum').inputValue()).to.equal('50');
    await editor.locator('input.edit-name').fill('Echo Advertising');
    await editor.locator('input.edit-email').fill('');
    await editor.locator('input.edit-minimum').fill('12.5');
    await shot(page, 'partners-admin-03-edit');
    const [patch] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith('/partners/echo'), { timeout: UI_WAIT }),
      editor.locator('[data-action="save"]').click(),
    ]);
    expect(patch.postDataJSON()).to.deep.equal({ name: 'Echo Advertising', email: null, minimumPayout: 12.5 });
    await waitForText(page, '#partners-table tr[data-partner-id="echo"]', 'Echo Advertising');
    expect(await editor.count(), 'the editor closes once saved').to.equal(0);
    // No currency of its own (API.md): the run compares it with each currency's balance.
    expect(await row.locator('td.num').textContent()).to.equal('12.50each currency');
    const stored = (await api('/partners/echo').expect(200)).body;
    expect([stored.name, stored.email, stored.minimumPayout]).to.deep.equal(['Echo Advertising', null, 12.5]);

    // More than two decimals: the API refuses (400) and says why, next to the form.
    await row.locator('[data-action="edit"]').click();
    // Past the browser's own step check, as a script or an older browser would send it.
    await editor.locator('input.edit-minimum').evaluate((el) => { (el as HTMLInputElement).step = 'any'; });
    await editor.locator('input.edit-minimum').fill('10.123');
    await editor.locator('[data-action="save"]').click();
    await waitForText(page, 'tr[data-detail-for="echo"] .alert-error', 'HTTP 400');
    expect((await api('/partners/echo').expect(200)).body.minimumPayout).to.equal(12.5);
    expect(session.unexpectedConsole([400])).to.deep.equal([]);
    expect(session.pageErrors).to.deep.equal([]);
    await session.close();

    // Without partners.write: the list, and no Edit, Tokens or Suspend.
    const reader = (await createToken(suite.server, tenant.handle, tenant.ownerToken, ['partners.read'])).token;
    session = await openSession();
    await signIn(session.page, suite.server, tenant.handle, reader, '#/partners');
    await session.page.locator('#partners-table tr[data-partner-id="echo"]').waitFor({ timeout: UI_WAIT });
    await session.page.locator('[data-scope-note="partners.write"]').waitFor({ timeout: UI_WAIT });
    expect(await session.page.locator('#partners-table [data-action]').count()).to.equal(0);
  });

  it('suspend: asks first, saying links keep redirecting but new commissions are rejected; Cancel keeps it ACTIVE', async () => {
    await createPartner(suite.server, tenant, 'foxtrot', { name: 'Foxtrot Deals' });
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    const row = page.locator('#partners-table tr[data-partner-id="foxtrot"]');
    await row.locator('[data-action="suspend"]').click();
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor({ timeout: UI_WAIT });
    const text = (await dialog.textContent())!;
    expect(text).to.include('keep redirecting').and.include('rejected').and.include('partner_suspended');
    await shot(page, 'partners-admin-04-suspend-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: UI_WAIT });
    expect((await api('/partners/foxtrot').expect(200)).body.status).to.equal('ACTIVE');

    await row.locator('[data-action="suspend"]').click();
    await dialog.locator('[data-confirm="ok"]').click();
    await waitForText(page, '#partners-table tr[data-partner-id="foxtrot"] td.status', 'SUSPENDED');
    expect((await api('/partners/foxtrot').expect(200)).body.status).to.equal('SUSPENDED');
    // Activating takes nothing away: no question asked.
    await row.locator('[data-action="activate"]').click();
    await waitForText(page, '#partners-table tr[data-partner-id="foxtrot"] td.status', 'ACTIVE');
    expect((await api('/partners/foxtrot').expect(200)).body.status).to.equal('ACTIVE');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('phone: scrolled fully right, a row\'s buttons sit beside the partner\'s column that stays in view, none partly behind it', async () => {
    // A long partner id makes the first column wide: Edit was half hidden behind it (a dashboard pass).
    await createPartner(suite.server, tenant, 'golf-the-long-partner-name', { name: 'Golf the Long Partner Name' });
    session = await openSession();
    const { page } = session;
    await page.setViewportSize(PHONE_VIEWPORT);
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    await page.locator('#partners-table tr[data-partner-id="golf-the-long-partner-name"] [data-action="edit"]').waitFor({ timeout: UI_WAIT });
    expect(await buttonsUnderFirstColumn(page, '#partners-table')).to.deep.equal([]);
    await page.evaluate(() => (document.querySelector('#partners-table')!.closest('.table-wrap')!.scrollLeft = 10_000));
    await shot(page, 'partners-admin-06-phone-scrolled');
  });
});
