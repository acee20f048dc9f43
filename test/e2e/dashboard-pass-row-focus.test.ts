import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { shot, UI_WAIT } from '../support/browser.ts';
import { ledgerRows } from '../support/commissions.ts';
import { signIn, type DashboardSession, sessionPerTest, focused } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle } from '../support/server.ts';

// A row's action done with the keyboard (black-box pass): Approve on a commission, Cancel on a
// payout, Suspend on a partner, Pause on a campaign, Revoke on a partner's token, Delete on a reward rule, the last Load more of a list, a form's submit button (disabled while it sends). The row was redrawn with its new status, the button pressed went
// with the old row, and the focus fell back to <body>: a screen reader lost its place and the
// person had to find the row again. So did closing a partner's or a campaign's editor (Save, Cancel, or Edit pressed again). The focus now stays in the row: on the same action when the
// redrawn row still offers it, else on the row's first control.
// Screenshots: test/artifacts/pass-row-focus-*.png.

describe('dashboard rows in a real browser: the focus stays in the row after its action', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  let pending: string;

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    await createPartner(suite.server, tenant, 'beta', { name: 'Beta Media' });
    await suite.server.http
      .post(`/v2/handles/${tenant.handle}/campaigns`)
      .set(tenant.auth)
      .send({
        campaignId: 'alpha-deal',
        goalType: 'AFFILIATE_CLICKOUT',
        status: 'ACTIVE',
        partnerId: 'alpha',
        primaryLink: { slug: 'alpha-deal', destinationUrl: 'https://merchant.example.com/p?ref=alpha' },
      })
      .expect(201);
    const later = new Date(Date.now() + 30 * 86_400_000);
    [pending] = await ledgerRows(suite.server, [
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '4.00', status: 'pending', holdUntil: later },
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '5.00', status: 'pending', holdUntil: later },
      { handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: '12.50' }, // approved, hold over: a payout
    ]);
  });

  it('commissions: Approve pressed with Enter leaves the focus in the approved row', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/commissions');
    const row = `#commissions-table tr[data-commission-id="${pending}"]`;
    await page.locator(`${row} [data-action="approve"]`).waitFor({ timeout: UI_WAIT });
    await page.fill('#commission-reason', 'orders shipped');
    await page.focus(`${row} [data-action="approve"]`);
    await page.keyboard.press('Enter');
    await page.locator(`${row}[data-status="approved"]`).waitFor({ timeout: UI_WAIT });
    const at = await focused(page);
    await shot(page, 'pass-row-focus-commission');
    expect(at.row?.commissionId, `the focus is on ${at.tag}`).to.equal(pending);
    expect(at.tag).to.equal('INPUT'); // its checkbox: an approved commission has no Approve any more
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("payouts: Cancel pressed with Enter and confirmed leaves the focus in the canceled payout's row", async () => {
    const run = await suite.server.http
      .post(`/v2/handles/${tenant.handle}/payouts`)
      .set(tenant.auth)
      .send({ idempotencyKey: 'row-focus' })
      .expect(201);
    const { payoutId } = run.body.data[0];
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/payouts');
    const row = `#payouts-table tr[data-payout-id="${payoutId}"]`;
    await page.focus(`${row} [data-action="cancel"]`);
    await page.keyboard.press('Enter');
    await page.locator('dialog.confirm [data-confirm="ok"]').waitFor({ timeout: UI_WAIT });
    await page.keyboard.press('Tab'); // Cancel has the focus; Tab to the dialog's Cancel payout
    await page.keyboard.press('Enter');
    await page.locator(`${row}[data-status="canceled"]`).waitFor({ timeout: UI_WAIT });
    const at = await focused(page);
    await shot(page, 'pass-row-focus-payout');
    expect(at.row?.payoutId, `the focus is on ${at.tag}`).to.equal(payoutId);
    expect(at.action).to.equal('statement');
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("partners: Suspend confirmed with the keyboard leaves the focus on the row's Activate", async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    const row = '#partners-table tr[data-partner-id="beta"]';
    await page.focus(`${row} [data-action="suspend"]`);
    await page.keyboard.press('Enter');
    await page.locator('dialog.confirm [data-confirm="ok"]').waitFor({ timeout: UI_WAIT });
    await page.keyboard.press('Tab'); // Cancel has the focus; Tab to the dialog's Suspend
    await page.keyboard.press('Enter');
    await page.locator(`${row} [data-action="activate"]`).waitFor({ timeout: UI_WAIT });
    const at = await focused(page);
    await shot(page, 'pass-row-focus-partner');
    expect(at.row?.partnerId, `the focus is on ${at.tag}`).to.equal('beta');
    expect(at.action).to.equal('activate');

    // Edit opens the editor under the row; its Save, and pressing Edit again, closed it and lost the focus.
    await page.focus(`${row} [data-action="edit"]`);
    await page.keyboard.press('Enter');
    const editor = 'form.partner-edit[data-partner-id="beta"]';
    await page.locator(editor).waitFor({ timeout: UI_WAIT });
    await page.fill(`${editor} input[name="name"]`, 'Beta Media Ltd');
    await page.focus(`${editor} button[type="submit"]`);
    await page.keyboard.press('Enter');
    await page.locator(editor).waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(await focused(page)).to.deep.include({ action: 'edit', row: { partnerId: 'beta' } });
    await page.keyboard.press('Enter'); // open again, then close with the same button
    await page.locator(editor).waitFor({ timeout: UI_WAIT });
    await page.focus(`${row} [data-action="edit"]`);
    await page.keyboard.press('Enter');
    await page.locator(editor).waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(await focused(page)).to.deep.include({ action: 'edit', row: { partnerId: 'beta' } });
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("campaigns: Pause pressed with Enter and confirmed leaves the focus on the row's Activate; the editor's Cancel returns it to Edit", async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/campaigns');
    const row = '#campaigns-table tr[data-campaign-id="alpha-deal"]';
    await page.focus(`${row} [data-action="pause"]`);
    await page.keyboard.press('Enter');
    // Confirmed with the keyboard (Cancel has the focus first).
    await page.locator('dialog.confirm [data-confirm="ok"]').waitFor({ timeout: UI_WAIT });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator(`${row} [data-action="activate"]`).waitFor({ timeout: UI_WAIT });
    expect(await focused(page)).to.deep.include({ action: 'activate', row: { campaignId: 'alpha-deal' } });

    await page.focus(`${row} [data-action="edit"]`);
    await page.keyboard.press('Enter');
    const editor = 'tr.campaign-editor[data-editor-for="alpha-deal"]';
    await page.locator(editor).waitFor({ timeout: UI_WAIT });
    await page.focus(`${editor} [data-action="cancel"]`);
    await page.keyboard.press('Enter');
    await page.locator(editor).waitFor({ state: 'detached', timeout: UI_WAIT });
    await shot(page, 'pass-row-focus-campaign');
    expect(await focused(page)).to.deep.include({ action: 'edit', row: { campaignId: 'alpha-deal' } });
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("partner tokens: Revoke confirmed with the keyboard leaves the focus on the revoked token's row", async () => {
    const { tokenId } = await partnerToken(suite.server, tenant, 'alpha', { name: 'laptop' });
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    await page.focus('#partners-table tr[data-partner-id="alpha"] [data-action="tokens"]');
    await page.keyboard.press('Enter');
    const row = `tr[data-token-id="${tokenId}"]`;
    await page.focus(`${row} [data-action="revoke"]`);
    await page.keyboard.press('Enter');
    await page.locator('dialog.confirm [data-confirm="ok"]').waitFor({ timeout: UI_WAIT });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator(`${row}[data-state="revoked"]`).waitFor({ timeout: UI_WAIT });
    const at = await focused(page);
    expect(at.row?.tokenId, `the focus is on ${at.tag}`).to.equal(tokenId);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("reward rules: Delete confirmed with the keyboard puts the focus on the next rule's Delete", async () => {
    for (const [rewardId, event] of [
      ['rule-a', 'affiliate_click'],
      ['rule-b', 'sale'],
    ]) {
      await suite.server.http
        .put(`/v2/handles/${tenant.handle}/rewards/${rewardId}`)
        .set(tenant.auth)
        .send({ scope: {}, event, type: 'percent', percent: 10 })
        .expect(201);
    }
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/rewards');
    await page.focus('#rewards-table tr[data-reward-id="rule-a"] [data-action="delete"]');
    await page.keyboard.press('Enter');
    await page.locator('dialog.confirm [data-confirm="ok"]').waitFor({ timeout: UI_WAIT });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('#rewards-table tr[data-reward-id="rule-a"]').waitFor({ state: 'detached', timeout: UI_WAIT });
    await shot(page, 'pass-row-focus-rule');
    expect(await focused(page)).to.deep.include({ action: 'delete', row: { rewardId: 'rule-b' } });
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('lists: the last "Load more" pressed with Enter puts the focus on the first row it loaded (the button goes away)', async () => {
    for (let i = 0; i < 49; i++) await createPartner(suite.server, tenant, `p-${String(i).padStart(2, '0')}`, { name: `Partner ${i}` });
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/partners');
    const more = page.locator('.table-more button', { hasText: 'Load more' });
    await more.waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#partners-table tbody tr').count()).to.equal(50);
    await more.focus();
    await page.keyboard.press('Enter');
    await page.locator('#partners-table tbody tr:nth-child(51)').waitFor({ timeout: UI_WAIT });
    await more.waitFor({ state: 'hidden', timeout: UI_WAIT });
    const last = await page.locator('#partners-table tbody tr:nth-child(51)').getAttribute('data-partner-id');
    expect(await focused(page)).to.deep.include({ row: { partnerId: last } });
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it("forms: a form sent with the keyboard from its button keeps the focus on it, beside the API's error", async () => {
    await suite.server.http
      .put(`/v2/handles/${tenant.handle}/rewards/alpha-sale`)
      .set(tenant.auth)
      .send({ scope: { partnerId: 'alpha' }, event: 'sale', type: 'percent', percent: 10 })
      .expect(201);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/rewards');
    await page.fill('#reward-id', 'another-rule');
    await page.fill('#reward-partner', 'alpha');
    await page.fill('#reward-event', 'sale'); // alpha-sale covers partner alpha's sale already: 409
    await page.selectOption('#reward-type', 'percent');
    await page.fill('#reward-percent', '5');
    await page.focus('#reward-submit');
    await page.keyboard.press('Enter');
    await page.locator('#reward-feedback [role="alert"]').waitFor({ timeout: UI_WAIT });
    await page.waitForFunction(() => !(document.querySelector('#reward-submit') as HTMLButtonElement).disabled);
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('reward-submit');
    expect(session.unexpectedConsole([409])).to.deep.equal([]);
  });
});
