import { expect } from 'chai';
import { browserSuite } from '../support/browser-suite.ts';
import { atPhoneWidth, shot, UI_WAIT } from '../support/browser.ts';
import { ledgerRows } from '../support/commissions.ts';
import { clickThrough, CONVERSIONS } from '../support/conversions.ts';
import { navPages, signIn, waitForText, sessionPerTest } from '../support/dashboard-session.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { createHandle, createToken } from '../support/server.ts';

// The Audit log page (#/audit, audit.read) in Debian's Chromium: a dashboard pass found audit.read offered in the
// token form with no page to read it, though the log is where a commission dispute is settled. Each row says the
// change: a commission's move with its reason. Screenshots: test/artifacts/audit-*.png.

describe('dashboard audit log in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  const openSession = sessionPerTest(() => suite.browser);

  before(async () => {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
  });

  it('lists the events newest first, says what a commission move changed and why, and filters by type (kept in the URL)', async () => {
    const [id] = await ledgerRows(suite.server, [{ handle: tenant.handle, partnerId: 'alpha', amount: '7.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) }]);
    await suite.server.http.patch(`/v2/handles/${tenant.handle}/commissions/${id}`).set(tenant.auth).send({ status: 'rejected', reason: 'coupon abuse' }).expect(200);
    // A refund of part of a real conversion (core/conversions/reversals.ts records it): it read `reversalId=… · conversionId=…`.
    await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
      campaignId: 'alpha-deal', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
      primaryLink: { slug: 'alpha-deal', destinationUrl: 'https://merchant.example.com/p' },
    }).expect(201);
    const ctx = await clickThrough(suite.server, tenant.handle, 'alpha-deal');
    await suite.server.http.post(CONVERSIONS).set(tenant.auth).send({ ctx, eventType: 'affiliate_click', value: 49.99, currency: 'USD', idempotencyKey: 'order-1234' }).expect(201);
    await suite.server.http.post(`/v2/handles/${tenant.handle}/conversions/reversals`).set(tenant.auth)
      .send({ idempotencyKey: 'order-1234', reversalKey: 'refund-1234', amount: 12.34, reason: 'refund' }).expect(201);
    // Partner tokens, reward rules, a partner's postback and a redelivery read `key=value` (a pass): one of each kind.
    const rewards = `/v2/handles/${tenant.handle}/rewards`;
    await suite.server.http.put(`${rewards}/default-sale`).set(tenant.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 7 }).expect(201);
    await suite.server.http.put(`${rewards}/default-sale`).set(tenant.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 12, holdDays: 7 }).expect(200);
    await suite.server.http.put(`${rewards}/alpha-clicks`).set(tenant.auth).send({ scope: { partnerId: 'alpha' }, event: 'click', type: 'flat', amount: 0.05, currency: 'USD', holdDays: 3 }).expect(201);
    await suite.server.http.delete(`${rewards}/alpha-clicks`).set(tenant.auth).expect(200);
    const portal = await partnerToken(suite.server, tenant, 'alpha', { name: 'portal', scopes: ['partner.read', 'partner.postbacks.write'] });
    const postbackUrl = 'http://127.0.0.1:9/pb?cid={click_id}';
    const { body: postback } = await suite.server.http.post(`/v2/handles/${tenant.handle}/partner/postbacks`).set(portal.auth)
      .send({ urlTemplate: postbackUrl, events: ['commission.created'] }).expect(201);
    await suite.server.http.delete(`/v2/handles/${tenant.handle}/partner/postbacks/${postback.postbackId}`).set(portal.auth).expect(200);
    const laptop = await partnerToken(suite.server, tenant, 'alpha', { name: 'laptop' });
    await suite.server.http.delete(`/v2/handles/${tenant.handle}/partners/alpha/tokens/${laptop.tokenId}`).set(tenant.auth).expect(200);
    // A redelivery, as core/notifications/panel.ts writes it (a delivery fails only after its 6 attempts).
    await suite.server.sql.query(
      `insert into audit_events (event_id, handle, type, actor, subject_id, payload) values (gen_random_uuid(), $1, 'delivery.redelivered', 'tok', $2, $3)`,
      [tenant.handle, '00000000-0000-4000-8000-000000000003', { webhookId: '00000000-0000-4000-8000-0000c0ffee42', eventType: 'link.clicked', cycle: 1 }]);
    const auditor = await createToken(suite.server, tenant.handle, tenant.ownerToken, ['audit.read']);
    const session = await openSession();
    const { page } = session;
    await signIn(page, suite.server, tenant.handle, auditor.token, '#/audit');
    expect(await navPages(page)).to.deep.equal(['audit']);
    const moved = page.locator('#audit-table tr[data-type="commission.status_changed"]');
    await moved.waitFor({ timeout: UI_WAIT });
    expect(await moved.locator('[data-col="change"]').textContent()).to.equal('alpha pending → rejected: coupon abuse');
    // Who: the token's name, its id on hover (a pass read "…f4479760" there).
    const who = moved.locator('td').last();
    expect(await who.textContent()).to.equal('owner');
    expect(await who.getAttribute('title')).to.match(/^[0-9a-f-]{36}$/);
    const change = (type: string) => page.locator(`#audit-table tr[data-type="${type}"] [data-col="change"]`).first().textContent();
    expect(await change('conversion.reversed')).to.equal('alpha 12.34 USD of 49.99 USD reversed (refund) · key refund-1234');
    expect(await change('conversion.created')).to.match(/^affiliate_click 49\.99 USD · key order-1234 · /);
    expect(await change('campaign.created')).to.equal('AFFILIATE_CLICKOUT, ACTIVE · alpha-deal → https://merchant.example.com/p · partner alpha');
    expect(await change('partner.created')).to.equal('Alpha Media, ACTIVE');
    expect(await change('token.created')).to.equal('t-audit.read · audit.read · no expiry');
    expect(await change('partner_token.created')).to.equal('partner alpha: laptop · partner.read · no expiry');
    expect(await change('partner_token.revoked')).to.equal('partner alpha: laptop');
    expect(await change('reward.created')).to.equal('0.05 USD per qualified click · partner alpha · hold 3 d');
    expect(await change('reward.replaced')).to.equal('now 12 % of the value per affiliate_click · whole handle · hold 7 d');
    expect(await change('reward.deleted')).to.equal('0.05 USD per qualified click · partner alpha · hold 3 d');
    expect(await change('postback.created')).to.equal(`partner alpha: GET ${postbackUrl} · commission.created`);
    expect(await change('postback.deleted')).to.equal(`partner alpha: ${postbackUrl}`);
    expect(await change('delivery.redelivered')).to.equal('link.clicked sent again (redelivery 1) to webhook …c0ffee42');
    // No row falls back to the payload's raw fields (key=value, not a URL's query), JSON or nothing.
    const raw = await page.locator('#audit-table tbody tr[data-type]').evaluateAll((rows) => rows
      .map((r) => [(r as HTMLElement).dataset.type, r.querySelector('[data-col="change"]')?.textContent ?? ''])
      .filter(([, text]) => !text || /(^|\s)\w+=|\{"/.test(text)));
    expect(raw).to.deep.equal([]);
    // A payout a refund shrank (payout.amended, as core/commissions/reversal.ts writes it) says from what to what.
    await suite.server.sql.query(
      `insert into audit_events (event_id, handle, type, actor, subject_id, payload) values (gen_random_uuid(), $1, 'payout.amended', 'tok', $2, $3)`,
      [tenant.handle, '00000000-0000-4000-8000-000000000001', { payoutId: '00000000-0000-4000-8000-000000000001', partnerId: 'alpha', amount: 72, currency: 'USD', commissionCount: 6, previousAmount: 97, previousCommissionCount: 7, via: 'reversal', commissionIds: [] }]);
    await page.reload();
    const amended = page.locator('#audit-table tr[data-type="payout.amended"] [data-col="change"]');
    await amended.waitFor({ timeout: UI_WAIT });
    expect(await amended.textContent()).to.equal('alpha 97.00 USD, 7 commissions → 72.00 USD, 6 commissions (reversal)');
    // Changes recorded as before/after objects say each field from → to (a pass found their Change column empty).
    await suite.server.http.patch(`/v2/handles/${tenant.handle}/partners/alpha`).set(tenant.auth).send({ minimumPayout: 500 }).expect(200);
    await suite.server.http.put(`/v2/handles/${tenant.handle}/plugins/link-preview`).set(tenant.auth).send({ enabled: false }).expect(200);
    await page.reload();
    const partnerChange = page.locator('#audit-table tr[data-type="partner.updated"] [data-col="change"]');
    await partnerChange.waitFor({ timeout: UI_WAIT });
    expect(await partnerChange.textContent()).to.equal('minimumPayout 0 → 500');
    expect(await page.locator('#audit-table tr[data-type="plugin.settings_changed"] [data-col="change"]').textContent()).to.equal('enabled true → false');
    // A repeat that differs: what it sent against what stands (as `tenx audit list` says it, core/dashboard/public/js/audit-change.js).
    await suite.server.sql.query(
      `insert into audit_events (event_id, handle, type, actor, subject_id, payload) values (gen_random_uuid(), $1, 'conversion.mismatch', 'public', $2, $3)`,
      [tenant.handle, '00000000-0000-4000-8000-000000000002', { idempotencyKey: 'order-9', value: 49.99, changes: { value: { original: 49.99, submitted: 59.99 }, authenticated: { original: false, submitted: true } } }]);
    await page.reload();
    const mismatch = page.locator('#audit-table tr[data-type="conversion.mismatch"] [data-col="change"]');
    await mismatch.waitFor({ timeout: UI_WAIT });
    expect(await mismatch.textContent()).to.equal('key order-9 · value 49.99 → 59.99 (sent) · authenticated false → true (sent)');
    await suite.server.http.put(`/v2/handles/${tenant.handle}/plugins/link-preview`).set(tenant.auth).send({ enabled: true }).expect(200);
    // Newest first: the token the test made after the move is above it.
    const types = await page.locator('#audit-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.type));
    expect(types.indexOf('token.created')).to.be.lessThan(types.indexOf('commission.status_changed'));
    await shot(page, 'audit-01-log');

    await page.fill('#audit-type', 'commission.status_changed');
    await page.click('#audit-apply');
    await page.locator('#audit-table tr[data-type="token.created"]').waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(new URL(page.url()).hash).to.equal('#/audit?type=commission.status_changed');
    await page.fill('#audit-type', 'no.such.type');
    await page.click('#audit-apply');
    await waitForText(page, '#audit-table tr.empty', 'No event matches these filters.');
    // A family without its dot: told that types are matched whole, with one to try (a pass read "no commission events").
    await page.fill('#audit-type', 'commission');
    await page.click('#audit-apply');
    await waitForText(page, '#audit-table tr.empty', 'a type is matched whole, e.g. commission.created');
    const [cut, overflow] = await atPhoneWidth(page, 'audit-02-phone');
    expect([cut, overflow]).to.deep.equal([[], 0]);
    expect(session.unexpectedConsole()).to.deep.equal([]);
  });
});
