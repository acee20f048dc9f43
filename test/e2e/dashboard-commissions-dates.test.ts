import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { shot, UI_WAIT } from '../support/browser.ts';
import { ledgerRows } from '../support/commissions.ts';
import { signIn, waitForText, type DashboardSession, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner } from '../support/partners.ts';
import { createHandle } from '../support/server.ts';

// The manager's Commissions page (#/commissions) filtered by the UTC days a commission was created:
// From and to are whole days, kept in the URL like the other filters; a From after the To shows the
// API's 400 beside the form. Screenshots: test/artifacts/commissions-dates-*.png.

describe('dashboard commissions in a real browser: the created-on date filter', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let session: DashboardSession | null = null;
  const openSession = sessionPerTest(() => suite.browser);
  const ids: Record<string, string> = {};
  const rowOf = (name: string) => `#commissions-table tr[data-commission-id="${ids[name]}"]`;

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network', reportingCurrency: 'USD' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    // Around the days 2026-11-28 … 2026-11-30: one just before, two inside (the last day's last second), one just after.
    const at = { before: '2026-11-27T23:59:59Z', first: '2026-11-28T00:00:00Z', last: '2026-11-30T23:59:59.500Z', after: '2026-12-01T00:00:00Z' };
    const names = Object.keys(at) as Array<keyof typeof at>;
    const holdUntil = new Date(Date.now() + 30 * 86_400_000); // pending throughout: the hold never ends during the test
    const created = await ledgerRows(suite.server, names.map((name, i) => ({
      handle: tenant.handle, partnerId: 'alpha', campaignId: 'alpha-deal', amount: `${i + 1}.00`, status: 'pending', holdUntil, createdAt: new Date(at[name]),
    })));
    names.forEach((name, i) => (ids[name] = created[i]));
  });

  it('shows only the commissions created on the days chosen, both days whole; the dates stay in the URL across a reload', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/commissions');
    await page.locator(rowOf('after')).waitFor({ timeout: UI_WAIT });

    await page.fill('#commission-from', '2026-11-28');
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/commissions?') && r.url().includes('to='), { timeout: UI_WAIT }),
      page.fill('#commission-to', '2026-11-30'),
    ]);
    const sent = new URL(request.url()).searchParams;
    // The API's `to` is exclusive: the last day is included by sending the next day's start.
    expect([sent.get('from'), sent.get('to')]).to.deep.equal(['2026-11-28T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
    await page.locator(rowOf('after')).waitFor({ state: 'detached', timeout: UI_WAIT });
    await page.locator(rowOf('last')).waitFor({ timeout: UI_WAIT });
    const shown = () => page.locator('#commissions-table tbody tr[data-commission-id]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.commissionId));
    expect(await shown()).to.have.members([ids.first, ids.last]);
    await waitForText(page, '#commission-summary [data-stat="pending"]', 'pending · 2');
    const hash = new URL(page.url()).hash;
    expect(Object.fromEntries(new URLSearchParams(hash.slice(hash.indexOf('?'))))).to.deep.equal({ from: '2026-11-28', to: '2026-11-30' });
    await shot(page, 'commissions-dates-01-filtered');

    await page.reload();
    await page.locator(rowOf('last')).waitFor({ timeout: UI_WAIT });
    expect([await page.inputValue('#commission-from'), await page.inputValue('#commission-to')]).to.deep.equal(['2026-11-28', '2026-11-30']);
    expect(await shown()).to.have.members([ids.first, ids.last]);
    // Each day bounds the other's picker: no From after To to choose (the API answers that 400).
    expect([await page.getAttribute('#commission-from', 'max'), await page.getAttribute('#commission-to', 'min')]).to.deep.equal(['2026-11-30', '2026-11-28']);

    // One day alone: from and to the same day.
    await page.fill('#commission-from', '2026-11-30');
    await page.locator(rowOf('first')).waitFor({ state: 'detached', timeout: UI_WAIT });
    await page.locator(rowOf('last')).waitFor({ timeout: UI_WAIT });
    expect(await shown()).to.deep.equal([ids.last]);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });

  it('a From after the To shows the API\'s 400 beside the form, the form kept to correct it', async () => {
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/commissions?from=2026-12-01&to=2026-11-28');
    const problem = page.locator('#commission-filter-feedback .alert-error');
    await problem.waitFor({ timeout: UI_WAIT });
    expect(await problem.textContent()).to.include('`from` must be before `to`.').and.include('HTTP 400');
    expect(await page.locator('#commissions-table tbody tr[data-commission-id]').count()).to.equal(0);
    expect(await page.locator('#commission-summary .stat').count(), 'no summary of another filter').to.equal(0);
    // Beside the form: between the filters and the ledger, not below the ledger's rows.
    const form = (await page.locator('#commission-filters').boundingBox())!;
    const box = (await problem.boundingBox())!;
    const ledger = (await page.locator('#commissions-table').boundingBox())!;
    expect(box.y).to.be.within(form.y + form.height, ledger.y);
    await shot(page, 'commissions-dates-02-refused');

    await page.fill('#commission-from', '2026-11-27');
    await page.locator(rowOf('before')).waitFor({ timeout: UI_WAIT });
    expect(await problem.count(), 'the error goes once the range is valid').to.equal(0);
    expect(session.unexpectedConsole([400])).to.deep.equal([]);
  });

  it("offers no Approve on today's click row (the API approves it once the UTC day has ended), and does on an ended day's", async () => {
    // ledgerRows takes a click row's day as the day before its hold ends (a hold of 0 days).
    const [today, yesterday] = await ledgerRows(suite.server, [
      { handle: tenant.handle, partnerId: 'alpha', type: 'click', amount: '0.50', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000), createdAt: new Date() },
      { handle: tenant.handle, partnerId: 'alpha', type: 'click', amount: '0.70', status: 'pending', holdUntil: new Date(), createdAt: new Date(Date.now() - 86_400_000) },
    ]);
    session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, tenant.ownerToken, '#/commissions?type=click');
    const open = page.locator(`#commissions-table tr[data-commission-id="${today}"]`);
    await open.waitFor({ timeout: UI_WAIT });
    expect(await open.locator('[data-action="approve"]').count()).to.equal(0);
    expect(await open.locator('[data-note="open-day"]').textContent()).to.equal('approvable after today (UTC)');
    expect(await page.locator(`#commissions-table tr[data-commission-id="${yesterday}"] [data-action="approve"]`).count()).to.equal(1);
    // The API agrees: today's row is refused, yesterday's approved.
    await suite.server.http.patch(`/v2/handles/${tenant.handle}/commissions/${today}`).set(tenant.auth).send({ status: 'approved', reason: 'x' }).expect(409);
  });
});
