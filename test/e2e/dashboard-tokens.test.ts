import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { shot, UI_WAIT } from '../support/browser.ts';
import { navPages, openDashboard, signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createHandle, createToken } from '../support/server.ts';

// The Access tokens page (#/tokens) in Debian's Chromium: what a manager did with curl (API.md "Personal access
// tokens"). Issue a token with chosen scopes (its secret shown once), rotate one (a new secret; the old one is
// refused), revoke one after a confirmation; the owner token is only rotated. Each step asserts what the API holds.
// Screenshots: test/artifacts/tokens-*.png.

describe('dashboard access tokens in a real browser: issue, rotate, revoke', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  /** What a token gets from GET …/tokens/current: its status and, when valid, its scopes. */
  const current = async (token: string) => {
    const res = await suite.server.http.get(`/v2/handles/${tenant.handle}/tokens/current`).set({ Authorization: `Bearer ${token}` });
    return { status: res.status, scopes: (res.body.scopes as string[] | undefined)?.slice().sort() };
  };

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network' });
  });

  it('issues a token with the scopes ticked (shown once), rotates it (the old secret gets 401) and revokes it once confirmed', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/tokens');
    await page.locator('#token-form').waitFor({ timeout: UI_WAIT });
    // The owner token: listed, marked, rotated but never revoked.
    const owner = page.locator('#tokens-table tr[data-owner="true"]');
    await owner.waitFor({ timeout: UI_WAIT });
    expect(await owner.locator('[data-action="revoke"]').count()).to.equal(0);
    expect(await owner.locator('[data-action="rotate"]').count()).to.equal(1);

    // No scope ticked: said next to the form, nothing sent.
    await page.fill('#token-name', 'nightly export');
    await page.click('#token-submit');
    await waitForText(page, '#token-feedback', 'Tick at least one scope');
    for (const scope of ['analytics.read', 'campaigns.read']) await page.locator(`#token-form input[value="${scope}"]`).check();
    await page.click('#token-submit');
    const secret = (await page.locator('#token-issued code.issued-token').textContent({ timeout: UI_WAIT }))!;
    expect(secret).to.match(/^tenx_pat_/);
    await shot(page, 'tokens-01-issued');
    expect(await current(secret)).to.deep.equal({ status: 200, scopes: ['analytics.read', 'campaigns.read'] });
    const listed = (await suite.server.http.get(`/v2/handles/${tenant.handle}/tokens`).set(tenant.auth).expect(200)).body.data
      .find((t: { name: string }) => t.name === 'nightly export');
    const row = page.locator(`#tokens-table tr[data-token-id="${listed.tokenId}"]`);
    await row.waitFor({ timeout: UI_WAIT });
    expect(await row.locator('td.scopes code').allTextContents()).to.deep.equal(listed.scopes);

    // Rotate: confirmed, a new secret shown once; the old one is refused at once, the new one has the same scopes.
    await row.locator('[data-action="rotate"]').click();
    await page.locator('dialog.confirm', { hasText: 'old secret is refused' }).waitFor({ timeout: UI_WAIT });
    await page.click('dialog.confirm [data-confirm="ok"]');
    await waitForText(page, '#token-issued', 'New secret of "nightly export"');
    const rotated = (await page.locator('#token-issued code.issued-token').textContent())!;
    expect(rotated).to.not.equal(secret);
    expect((await current(secret)).status).to.equal(401);
    expect(await current(rotated)).to.deep.equal({ status: 200, scopes: ['analytics.read', 'campaigns.read'] });

    // Revoke: Cancel keeps it; confirmed, it is refused and its row says so, with no buttons left.
    await page.locator(`#tokens-table tr[data-token-id="${listed.tokenId}"] [data-action="revoke"]`).click();
    await page.keyboard.press('Escape');
    await page.locator('dialog.confirm').waitFor({ state: 'detached', timeout: UI_WAIT });
    expect((await current(rotated)).status).to.equal(200);
    await page.locator(`#tokens-table tr[data-token-id="${listed.tokenId}"] [data-action="revoke"]`).click();
    await page.click('dialog.confirm [data-confirm="ok"]');
    const revoked = page.locator(`#tokens-table tr[data-token-id="${listed.tokenId}"][data-state="revoked"]`);
    await revoked.waitFor({ timeout: UI_WAIT });
    expect(await revoked.locator('button').count()).to.equal(0);
    expect((await current(rotated)).status).to.equal(401);
    // Its secret, shown since the rotation, is gone with it: a dead token is not offered to copy (a dashboard pass).
    expect(await page.locator('#token-issued .token-once').count()).to.equal(0);
    await shot(page, 'tokens-02-revoked');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('offers only the scopes the signed-in token holds, and is not in the menu of a token without tokens.write', async () => {
    const issuer = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['tokens.write', 'analytics.read']);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, issuer.token, '#/tokens');
    await page.locator('#token-form').waitFor({ timeout: UI_WAIT });
    const offered = await page.locator('#token-form input[name="scopes"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(offered).to.deep.equal(['analytics.read', 'tokens.write']);
    expect(await navPages(page)).to.include('tokens');

    const reader = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['analytics.read']);
    const other = await openDashboard(suite.browser);
    try {
      await signIn(other.page, suite.server, tenant.handle, reader.token);
      await other.page.locator('.nav-link').first().waitFor({ timeout: UI_WAIT });
      expect(await navPages(other.page)).to.not.include('tokens');
    } finally {
      await other.close();
    }
  });

  it("offers no Rotate or Revoke the API would refuse, and rotating the session's own token keeps the session on the new secret", async () => {
    // A dashboard pass: Rotate on the owner row and Revoke on a token with other scopes came back 403 after a confirmation,
    // and rotating the signed-in token signed the person out at the next click, its new secret lost.
    const self = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['tokens.write', 'campaigns.read']);
    const wider = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['payouts.write']);
    const narrower = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['campaigns.read']);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, self.token, '#/tokens');
    const rowOf = (id: string) => page.locator(`#tokens-table tr[data-token-id="${id}"]`);
    await rowOf(self.tokenId).waitFor({ timeout: UI_WAIT });
    const owner = page.locator('#tokens-table tr[data-owner="true"]');
    expect(await owner.locator('button').count(), 'the owner token: only itself').to.equal(0);
    expect(await owner.locator('td.actions').textContent()).to.include('owner only');
    expect(await rowOf(wider.tokenId).locator('button').count(), 'a token with a scope this one lacks').to.equal(0);
    expect(await rowOf(wider.tokenId).locator('td.actions').textContent()).to.include('needs its scopes');
    expect(await rowOf(narrower.tokenId).locator('[data-action="revoke"]').count()).to.equal(1);
    expect(await rowOf(self.tokenId).textContent()).to.include('this session');

    await rowOf(self.tokenId).locator('[data-action="rotate"]').click();
    await waitForText(page, 'dialog.confirm', 'You are signed in with this token');
    await page.locator('dialog.confirm [data-confirm="ok"]').click();
    await page.locator('#token-issued', { hasText: 'New secret of' }).waitFor({ timeout: UI_WAIT });
    expect((await current(self.token)).status, 'the old secret').to.equal(401);
    // Still signed in: another page and back load with the new secret.
    await page.click('.nav-link[data-page="campaigns"]');
    await page.locator('.nav-link[data-page="campaigns"].active').waitFor({ timeout: UI_WAIT });
    await page.click('.nav-link[data-page="tokens"]');
    await rowOf(self.tokenId).waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#signin-token').count(), 'not signed out').to.equal(0);
    await shot(page, 'tokens-rotated-own');
  });

  it('a token that expires is offered no Rotate of one that outlives it (the API refuses it the new secret), and revoking the session\'s own token signs out at once', async () => {
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const self = (await suite.server.http.post(`/v2/handles/${tenant.handle}/tokens`).set(tenant.auth)
      .send({ name: 'expiring', scopes: ['tokens.write', 'campaigns.read'], expiresAt: inAWeek }).expect(201)).body;
    const forever = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['campaigns.read']);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, self.token, '#/tokens');
    const longer = page.locator(`#tokens-table tr[data-token-id="${forever.tokenId}"]`);
    await longer.waitFor({ timeout: UI_WAIT });
    expect(await longer.locator('[data-action="rotate"]').count(), 'Rotate would be 403').to.equal(0);
    expect(await longer.locator('[data-action="revoke"]').count(), 'Revoke has no expiry rule').to.equal(1);
    await suite.server.http.post(`/v2/handles/${tenant.handle}/tokens/${forever.tokenId}/rotate`).set({ Authorization: `Bearer ${self.token}` }).expect(403);

    await page.locator(`#tokens-table tr[data-token-id="${self.tokenId}"] [data-action="revoke"]`).click();
    await waitForText(page, 'dialog.confirm', 'revoking it signs you out');
    await page.locator('dialog.confirm [data-confirm="ok"]').click();
    await page.locator('.signin-form [role="alert"]', { hasText: 'You revoked the token this dashboard was signed in with.' }).waitFor({ timeout: UI_WAIT });
    expect((await current(self.token)).status).to.equal(401);
  });
});
