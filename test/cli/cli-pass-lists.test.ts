// The CLI's lists as a new user meets them after the README's partner-program walk: `audit list` takes every
// type the server writes (v2.1's ledger, partners, rewards, payouts too), `audit list` and `notifications list`
// say when there is another page and take its --cursor, and a partner's `analytics funnel` shows its commission.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AUDIT_SENTENCES, describeEvent } from '../../core/dashboard/public/js/audit-change.js';
import { AUDIT_TYPES } from '../../scripts/cli/audit.ts';
import { clickThrough, CONVERSIONS, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { runNode, type Run } from '../support/run.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventually } from '../support/webhooks.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));
const MORE = /^\(more: --cursor (\S+)\)$/m;

describe('tenx CLI lists after the partner-program walk: audit types, next pages, the partner\'s commission', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;
  let portal: string;

  function tenx(args: string[], token = tenant.ownerToken): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: token };
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  const path = (rest: string) => `/v2/handles/${tenant.handle}${rest}`;

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-lists-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server);
    const { http } = server;
    const auth = tenant.auth;
    // The README's partner program, through the API: partner, its tokens, rules, a sale, a refund, a payout.
    await createPartner(server, tenant, 'alpha', { minimumPayout: 0 });
    await http.patch(path('/partners/alpha')).set(auth).send({ email: 'ops@alpha.example' }).expect(200);
    await assignPartner(server, tenant, tenant.campaignId, 'alpha');
    const lost = await partnerToken(server, tenant, 'alpha', { name: 'laptop' });
    await http.delete(path(`/partners/alpha/tokens/${lost.tokenId}`)).set(auth).expect(200);
    portal = (await partnerToken(server, tenant, 'alpha', { scopes: ['partner.read', 'partner.postbacks.write'] })).token;
    const rule = { scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 };
    await http.put(path('/rewards/default-sale')).set(auth).send(rule).expect(201);
    await http.put(path('/rewards/default-sale')).set(auth).send({ ...rule, percent: 12 }).expect(200);
    await http.put(path('/rewards/spare')).set(auth).send({ ...rule, event: 'click', type: 'flat', percent: undefined, amount: 0.05 }).expect(201);
    await http.delete(path('/rewards/spare')).set(auth).expect(200);
    const ctx = await clickThrough(server, tenant.handle, tenant.slug);
    await http.post(CONVERSIONS).set(auth).send({ ctx, eventType: 'affiliate_click', value: 600, currency: 'USD', idempotencyKey: 'order-790' }).expect(201);
    const { body: pending } = await http.get(path('/commissions?partnerId=alpha')).set(auth).expect(200);
    await http.patch(path(`/commissions/${pending.data[0].commissionId}`)).set(auth).send({ status: 'approved', reason: 'checked' }).expect(200);
    const reversal = { idempotencyKey: 'order-790', reversalKey: 'refund-1', amount: 75, reason: 'refund' };
    await http.post(path('/conversions/reversals')).set(auth).send(reversal).expect(201);
    await http.post(path('/conversions/reversals')).set(auth).send({ ...reversal, amount: 80 }).expect(200);
    const periodEnd = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const { body: run } = await http.post(path('/payouts')).set(auth).send({ idempotencyKey: '2026-12', periodEnd }).expect(201);
    await http.post(path(`/payouts/${run.data[0].payoutId}/mark-paid`)).set(auth).send({ reference: 'SEPA-4711' }).expect(200);
    await http.patch(path('')).set(auth).send({ publicConversions: 'flag' }).expect(200);
    await http
      .post(path('/partner/postbacks'))
      .set({ Authorization: `Bearer ${portal}` })
      .send({ urlTemplate: 'http://127.0.0.1:9/pb?cid={click_id}', events: ['commission.created'] })
      .expect(201);
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('audit list --type takes every type the walk wrote (partners, rewards, commissions, reversals, payouts, postbacks), exit 0', async () => {
    const { body } = await server.http.get(path('/audit-events?limit=500')).set(tenant.auth).expect(200);
    const written = [...new Set((body.data as { type: string }[]).map((e) => e.type))].sort();
    expect(written).to.include.members(['partner.created', 'commission.status_changed', 'conversion.reversed', 'payout.paid', 'reward.replaced']);
    for (let i = 0; i < written.length; i += 4) {
      const runs = await Promise.all(written.slice(i, i + 4).map((type) => tenx(['audit', 'list', '--type', type, '--json'])));
      runs.forEach((r, j) => {
        ok(r);
        const events = JSON.parse(r.stdout).data as { type: string }[];
        expect(events.length, written[i + j]).to.be.greaterThan(0);
        expect(events.every((e) => e.type === written[i + j])).to.equal(true);
      });
    }
    // Every type has its line, and CHANGE says each one in the dashboard's words (audit-change.js): a partner token, a
    // rule, a postback or a redelivery read as its payload's `key=value` fields (a pass).
    expect(Object.keys(AUDIT_SENTENCES).sort()).to.deep.equal([...AUDIT_TYPES].sort());
    // WEBHOOK_SECRET_OVERLAP_S may be 0: no "also signs for 0 s".
    expect([0, 86_400].map((overlapSeconds) => describeEvent({ type: 'webhook.rotated', payload: { overlapSeconds } }, { arrow: '->', money: String, day: String }))).to.deep.equal([
      'new secret; the previous one stopped signing at once',
      'new secret; the previous one also signs for 24 h',
    ]);
    await server.sql.query(
      `insert into audit_events (event_id, handle, type, actor, subject_id, payload) values (gen_random_uuid(), $1, 'delivery.redelivered', 'tok', $2, $3)`,
      [tenant.handle, '00000000-0000-4000-8000-000000000003', { webhookId: '00000000-0000-4000-8000-0000c0ffee42', eventType: 'commission.created', cycle: 2 }]);
    const table = await tenx(['audit', 'list', '--limit', '500']);
    ok(table);
    const [head, ...rows] = table.stdout.trimEnd().split('\n');
    const [typeAt, campaignAt, changeAt] = ['TYPE', 'CAMPAIGN', 'CHANGE'].map((h) => head.indexOf(h));
    const changes = rows.map((l) => [l.slice(typeAt, campaignAt).trim(), l.slice(changeAt)]);
    const change = (type: string) => changes.find(([t]) => t === type)?.[1];
    const postbackUrl = 'http://127.0.0.1:9/pb?cid={click_id}';
    // A field of its own (not a URL's query) or a JSON object.
    expect(changes.filter(([, text]) => !text || /(^|\s)\w+=|\{"/.test(text)), 'key=value or JSON').to.deep.equal([]);
    expect(change('partner_token.created')).to.equal('partner alpha: portal alpha · partner.read, partner.postbacks.write · no expiry');
    expect(change('partner_token.revoked')).to.equal('partner alpha: laptop');
    expect(change('reward.replaced')).to.equal('now 12 % of the value per affiliate_click · whole handle · hold 30 d');
    expect(change('reward.deleted')).to.equal('0.05 USD per qualified click · whole handle · hold 30 d');
    expect(change('postback.created')).to.equal(`partner alpha: GET ${postbackUrl} · commission.created`);
    expect(change('delivery.redelivered')).to.equal('commission.created sent again (redelivery 2) to webhook …c0ffee42');
    expect(change('commission.status_changed')).to.equal('alpha approved -> paid: SEPA-4711 (payout)');
    expect(change('payout.paid')).to.match(/^alpha \d+\.\d\d USD, 2 commissions, ref SEPA-4711$/);
  });

  it('audit list: a page short of the log says "(more: --cursor …)" on stderr, and that --cursor lists the next events', async () => {
    const { body: all } = await server.http.get(path('/audit-events?limit=500')).set(tenant.auth).expect(200);
    const ids = (all.data as { eventId: string }[]).map((e) => e.eventId);
    expect(ids.length).to.be.greaterThan(6);

    const first = await tenx(['audit', 'list', '--limit', '3']);
    ok(first);
    expect(first.stdout.trim().split('\n')).to.have.length(4); // header + 3
    const cursor = MORE.exec(first.stderr)?.[1];
    expect(cursor, `stderr: ${first.stderr}`).to.be.a('string');

    const next = await tenx(['audit', 'list', '--limit', '3', '--cursor', cursor!, '--json']);
    ok(next);
    const page = JSON.parse(next.stdout) as { data: { eventId: string }[]; nextCursor: string | null };
    expect(page.data.map((e) => e.eventId)).to.deep.equal(ids.slice(3, 6));
    expect(page.nextCursor).to.be.a('string');

    const whole = await tenx(['audit', 'list', '--limit', '500']);
    ok(whole);
    expect(whole.stderr, 'no hint on the last page').to.not.match(MORE);
  });

  it('notifications list: a page short of the deliveries says "(more: --cursor …)", and that --cursor lists the rest', async () => {
    const { body: hook } = await server.http
      .post(path('/webhooks'))
      .set(tenant.auth)
      .send({ endpointUrl: 'http://127.0.0.1:9/ingest', eventTypes: ['webhook.ping'] })
      .expect(201);
    for (let i = 0; i < 3; i++) await server.http.post(path(`/webhooks/${hook.webhookId}/ping`)).set(tenant.auth).send({}).expect(202);
    const deliveries = await eventually(async () => {
      const { body } = await server.http.get(path(`/notifications?webhookId=${hook.webhookId}`)).set(tenant.auth).expect(200);
      return body.data.length === 3 && (body.data as { deliveryId: string }[]).map((d) => d.deliveryId);
    }, 10_000, 'three ping deliveries');

    const first = await tenx(['notifications', 'list', '--webhook', hook.webhookId, '--limit', '2']);
    ok(first);
    const cursor = MORE.exec(first.stderr)?.[1];
    expect(cursor, `stderr: ${first.stderr}`).to.be.a('string');
    const rest = await tenx(['notifications', 'list', '--webhook', hook.webhookId, '--limit', '2', '--cursor', cursor!, '--json']);
    ok(rest);
    const page = JSON.parse(rest.stdout) as { data: { deliveryId: string }[]; nextCursor: string | null };
    expect(page.data.map((d) => d.deliveryId)).to.deep.equal(deliveries.slice(2));
    expect(page.nextCursor).to.equal(null);
  });

  it('analytics funnel as the partner shows its COMMISSION (and revenue net of reversals), as the API\'s funnel rows carry them', async () => {
    const { body } = await server.http.get(path('/partner/analytics?funnel=true')).set({ Authorization: `Bearer ${portal}` }).expect(200);
    const row = body.data[0];
    expect(row.commission, '12 % of 600, less 12 % of the 75 refunded').to.deep.equal({ USD: 63 });
    expect(row.netRevenue).to.equal(525);

    const table = await tenx(['analytics', 'funnel'], portal);
    ok(table);
    const [header, line] = table.stdout.split('\n');
    const headers = header.split(/\s{2,}/);
    const cells = line.split(/\s{2,}/);
    expect(headers).to.include.members(['COMMISSION', 'NET REVENUE']);
    expect(cells[headers.indexOf('COMMISSION')]).to.equal('63.00 USD');
    expect(cells[headers.indexOf('NET REVENUE')]).to.equal('525.00');
    expect(row.netRevenueByCurrency).to.deep.equal({ USD: 525 });
    expect(cells[headers.indexOf('NET BY CURRENCY')]).to.equal('525.00 USD');
  });
});
