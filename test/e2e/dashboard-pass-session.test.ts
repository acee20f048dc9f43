import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { browserSuite } from '../support/browser-suite.ts';
import { shot, UI_WAIT } from '../support/browser.ts';
import { signIn, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, createToken } from '../support/server.ts';

// The session as a person lives it in Debian's Chromium, on pages that stay open.
// - A token revoked while its live funnel is open: the server ends the stream and the reconnect is
//   answered 401. The page said "The live stream was refused" and stayed signed in with a dead
//   token (STOPPED); every other page goes back to sign-in on a 401, saying why, and so must this one.
// - The keyboard: a sidebar link followed with Enter rebuilt the whole layout, the link with it, so
//   the focus fell back to <body> and the next Tab started again at the top of the sidebar. It now
//   lands on the page's content, and Tab goes on to the page's first control.
// Screenshots: test/artifacts/pass-session-*.png.

describe('dashboard session in a real browser: a revoked token on a live page, the focus after navigating', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'alpha-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
      primaryLink: { slug: 'alpha-deal', destinationUrl: 'https://merchant.example.com/p?ref=alpha' },
    }).expect(201);
  });

  async function expectSignedOutFrom(page: Page, name: string) {
    await page.locator('.signin-form [role="alert"]', { hasText: 'Signed out' }).waitFor({ timeout: UI_WAIT });
    await shot(page, name);
    expect(await page.locator('.signin-form [role="alert"]').textContent()).to.include('revoked').and.include('401');
    expect(await page.locator('.layout').count(), 'no page of the dashboard left behind').to.equal(0);
    expect(await page.evaluate(() => sessionStorage.getItem('tenx.token')), 'the dead token forgotten').to.equal(null);
    // The handle is not: the form is filled with it again (a pass had to retype it).
    expect(await page.inputValue('#signin-handle')).to.equal(tenant.handle);
  }

  it('a handle token revoked while the live funnel is open: back to sign-in, saying it was revoked', async () => {
    const { token, tokenId } = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['campaigns.read', 'analytics.read']);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, token, '#/funnel');
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: UI_WAIT });
    await suite.server.http.delete(`/v2/handles/${tenant.handle}/tokens/${tokenId}`).set(tenant.auth).expect(200);
    await expectSignedOutFrom(page, 'pass-session-revoked-funnel');
    expect(session.unexpectedConsole([401])).to.deep.equal([]);
  });

  it('a partner token revoked while the portal\'s live funnel is open: back to sign-in, saying it was revoked', async () => {
    const { token, tokenId } = await partnerToken(suite.server, tenant, 'alpha', { name: 'laptop' });
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, token, '#/live');
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: UI_WAIT });
    await suite.server.http.delete(`/v2/handles/${tenant.handle}/partners/alpha/tokens/${tokenId}`).set(tenant.auth).expect(200);
    await expectSignedOutFrom(page, 'pass-session-revoked-live');
    expect(session.unexpectedConsole([401])).to.deep.equal([]);
  });

  it('keyboard: a sidebar link followed with Enter puts the focus on the page, and Tab reaches its first control', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/campaigns');
    const focused = () => page.evaluate(() => {
      const a = document.activeElement;
      return { tag: a?.tagName ?? '', id: a?.id ?? '', inMain: Boolean(a?.closest('main')) };
    });
    await page.focus('.nav-link[data-page="partners"]');
    await page.keyboard.press('Enter');
    await page.locator('#partners-table').waitFor({ timeout: UI_WAIT });
    expect(await page.evaluate(() => location.hash)).to.equal('#/partners');
    expect(await focused(), 'the focus after following the link').to.deep.equal({ tag: 'MAIN', id: 'content', inMain: true });
    await page.keyboard.press('Tab');
    const next = await focused();
    expect(next.inMain, `Tab went to ${next.tag}#${next.id}`).to.equal(true);
    expect(next.tag).to.be.oneOf(['INPUT', 'SELECT', 'BUTTON', 'A', 'TEXTAREA']);
    await shot(page, 'pass-session-keyboard');
  });
});
