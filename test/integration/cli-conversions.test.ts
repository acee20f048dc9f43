import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CONVERSIONS, clickThrough, partnerCampaign } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { runNode, type Run } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('tenx CLI: a manager lists conversions and reverses refunds without curl', function () {
  this.timeout(120_000);
  let server: TestServer;
  let tenant: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;
  const ids: Record<string, string> = {};

  function tenx(args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: tenant.ownerToken };
    return runNode([TENX, ...args], env);
  }
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
  /** Exit `code` with one line on stderr (a usage error adds where to read on), never a stack. */
  const fails = (r: Run, code: number, said: string) => {
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(code);
    expect(r.stderr).to.include(said);
    expect(r.stderr).to.not.match(/^\s+at /m);
    if (code === 1) expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
  };
  const conversion = async (id: string) =>
    (await server.http.get(`/v2/handles/${tenant.handle}/conversions/${id}`).set(tenant.auth).expect(200)).body;
  const reversals = async (key: string) =>
    (await server.sql.query('select amount::text, reason, note from conversion_reversals where handle = $1 and reversal_key = $2', [tenant.handle, key])).rows;

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-conversions-'));
    server = await startTestServer();
    tenant = await partnerCampaign(server, { campaignId: 'alpha-deal', slug: 'alpha-deal' });
    await createPartner(server, tenant, 'alpha');
    await assignPartner(server, tenant, 'alpha-deal', 'alpha');
    await server.http
      .put(`/v2/handles/${tenant.handle}/rewards/cpa`)
      .set(tenant.auth)
      .send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 })
      .expect(201);
    // Oldest first: order-3 is the newest. The merchant's token authenticates two; order-2 is ctx-only.
    for (const [key, value, merchant] of [['order-1', 100, true], ['order-2', 50, false], ['order-3', 20, true]] as const) {
      const ctx = await clickThrough(server, tenant.handle, 'alpha-deal');
      const res = await server.http
        .post(CONVERSIONS)
        .set(merchant ? tenant.auth : {})
        .send({ ctx, eventType: 'affiliate_click', value, currency: 'USD', idempotencyKey: key })
        .expect(201);
      ids[key] = res.body.conversionId;
    }
  });
  after(async () => {
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('conversions list: a table of every conversion, filters, --json, and one page at a time with the next cursor named', async () => {
    const all = await tenx(['conversions', 'list']);
    ok(all);
    expect(all.stdout.split('\n')[0]).to.match(/^CONVERSION\s+CREATED\s+CAMPAIGN\s+PARTNER\s+EVENT\s+VALUE\s+STATUS\s+REVERSED\s+AUTHENTICATED\s+ORDER$/);
    expect(all.stdout).to.match(new RegExp(`^${ids['order-1']}\\s+\\S+Z\\s+alpha-deal\\s+alpha\\s+affiliate_click\\s+100\\.00 USD\\s+recorded\\s+0\\.00\\s+yes\\s+order-1$`, 'm'));
    expect(all.stdout).to.match(new RegExp(`^${ids['order-2']}\\s.*50\\.00 USD\\s+recorded\\s+0\\.00\\s+no\\s+order-2$`, 'm'));
    // The merchant's order id finds its conversion.
    const byKey = await tenx(['conversions', 'list', '--key', 'order-2', '--json']);
    ok(byKey);
    expect(JSON.parse(byKey.stdout).data.map((c: { conversionId: string }) => c.conversionId)).to.deep.equal([ids['order-2']]);
    // A partner login lists its own conversions without ORDER, and may not search by the merchant's keys.
    const partner = await partnerToken(server, tenant, 'alpha');
    const asPartner = (args: string[]) => runNode([TENX, ...args], { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: partner.token });
    const own = await asPartner(['conversions', 'list']);
    ok(own);
    expect(own.stdout.split('\n')[0]).to.not.include('ORDER');
    expect(own.stdout).to.not.include('order-2');
    fails(await asPartner(['conversions', 'list', '--key', 'order-2']), 2, "--key needs a handle login");

    const json = await tenx(['conversions', 'list', '--json', '--partner', 'alpha', '--campaign', 'alpha-deal', '--status', 'recorded']);
    ok(json);
    const page = JSON.parse(json.stdout);
    expect(page.nextCursor).to.equal(null);
    expect(page.data.map((c: { conversionId: string }) => c.conversionId)).to.deep.equal([ids['order-3'], ids['order-2'], ids['order-1']]);
    // A bare --to date includes that UTC day, as the dashboard's date fields do (it meant the day's first instant: nothing).
    const today = new Date().toISOString().slice(0, 10);
    const todays = await tenx(['conversions', 'list', '--from', today, '--to', today, '--json']);
    ok(todays);
    expect(JSON.parse(todays.stdout).data).to.have.length(3);
    const none = await tenx(['conversions', 'list', '--partner', 'nobody', '--from', '2020-01-01', '--to', '2020-01-02T00:00:00Z']);
    ok(none);
    expect(none.stderr).to.include('no conversions match');

    const first = await tenx(['conversions', 'list', '--limit', '2']);
    ok(first);
    const cursor = /\(more: --cursor (\S+)\)/.exec(first.stderr)?.[1];
    expect(cursor, first.stderr).to.be.a('string');
    expect(first.stdout).to.include(ids['order-3']).and.include(ids['order-2']).and.not.include(ids['order-1']);
    const second = await tenx(['conversions', 'list', '--limit', '2', '--cursor', cursor!]);
    ok(second);
    expect(second.stdout).to.include(ids['order-1']).and.not.include(ids['order-2']);
    expect(second.stderr).to.not.include('more:');
  });

  it('conversions get: one conversion as the API holds it, by its id; an unknown id is a one-line 404; a partner login is pointed to its list', async () => {
    const shown = await tenx(['conversions', 'get', ids['order-2']]);
    ok(shown);
    const held = await conversion(ids['order-2']);
    expect(shown.stdout.split('\n')).to.deep.equal([
      `${ids['order-2']}  recorded  affiliate_click`,
      `  created:        ${held.createdAt}`,
      '  order key:      order-2',
      '  campaign:       alpha-deal',
      '  partner:        alpha',
      '  value:          50.00 USD',
      '  reversed:       0.00',
      '  authenticated:  no (ctx only)',
      `  click:          ${held.clickId}`,
      '',
    ]);
    const json = await tenx(['conversions', 'get', ids['order-1'], '--json']);
    ok(json);
    expect(JSON.parse(json.stdout)).to.deep.equal(await conversion(ids['order-1']));
    fails(await tenx(['conversions', 'get', '00000000-0000-7000-8000-000000000000']), 1, 'tenx: Conversion not found.');
    // An order id, or nothing, is a usage error before any request (an empty id named the list: undefined fields, exit 0).
    fails(await tenx(['conversions', 'get', 'order-2']), 2, 'expected a conversion id like');
    expect((await tenx(['conversions', 'get', 'order-2'])).stderr).to.include('(by its order id: tenx conversions list --key order-2)');
    fails(await tenx(['conversions', 'get', '']), 2, 'expected a conversion id like');
    const partner = await partnerToken(server, tenant, 'alpha');
    const asPartner = await runNode([TENX, 'conversions', 'get', ids['order-1']], { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: tenant.handle, TENX_TOKEN: partner.token });
    fails(asPartner, 2, 'a partner login lists its conversions (tenx conversions list)');
  });

  it('conversions reverse: part, the same key again (deduped), the rest; the server holds one reversal each and the commissions follow', async () => {
    const part = await tenx(['conversions', 'reverse', 'order-1', '--amount', '30', '--reason', 'refund', '--note', 'one item returned']);
    ok(part);
    const key = /reversal key (\S+) \(should this command end without saying whether it reversed, rerun it with --reversal-key \1: never twice\)/.exec(part.stderr)?.[1];
    expect(key, part.stderr).to.match(UUID);
    expect(part.stdout).to.match(new RegExp(`^Reversed 30\\.00 USD of conversion ${ids['order-1']} \\(refund\\): reversal ${UUID.source}\\.$`, 'm'));
    // 10 % of 100 earned 10.00; a third of the value back is a negative adjustment of 3.00.
    expect(part.stdout).to.match(/^\S+\s+alpha\s+adjustment\s+-3\.00 USD\s+pending\s+refund$/m);
    expect(await reversals(key!)).to.deep.equal([{ amount: '30.00', reason: 'refund', note: 'one item returned' }]);
    expect(await conversion(ids['order-1'])).to.include({ reversedValue: 30, status: 'partially_reversed' });

    // The answer was lost; the retry reuses the printed key: told so, nothing reversed twice.
    const retry = await tenx(['conversions', 'reverse', 'order-1', '--amount', '30', '--reason', 'refund', '--note', 'one item returned', '--reversal-key', key!]);
    ok(retry);
    expect(retry.stdout).to.include(`Deduped: reversal key "${key}" already reversed 30.00 USD of conversion ${ids['order-1']}`);
    expect(retry.stderr).to.not.include('warning');
    expect(await reversals(key!)).to.have.length(1);
    expect((await conversion(ids['order-1'])).reversedValue).to.equal(30);

    // No --amount: all that remains (70), and the commission itself is reversed.
    const rest = await tenx(['conversions', 'reverse', 'order-1', '--reason', 'chargeback', '--reversal-key', 'cb-1', '--json']);
    ok(rest);
    const reversal = JSON.parse(rest.stdout);
    expect(reversal).to.include({ conversionId: ids['order-1'], amount: 70, currency: 'USD', reason: 'chargeback' });
    expect(reversal.commissions.map((c: { status: string }) => c.status)).to.include('reversed');
    expect(await reversals('cb-1')).to.deep.equal([{ amount: '70.00', reason: 'chargeback', note: null }]);
    expect(await conversion(ids['order-1'])).to.include({ reversedValue: 100, status: 'reversed' });
    const reversed = await tenx(['conversions', 'list', '--status', 'reversed']);
    ok(reversed);
    expect(reversed.stdout).to.match(new RegExp(`^${ids['order-1']}\\s.*100\\.00 USD\\s+reversed\\s+100\\.00\\s+yes\\s+order-1$`, 'm'));
  });

  it('conversions reverse: more than remains (422) and an unknown key (404) are one line each, exit 1, and reverse nothing', async () => {
    fails(await tenx(['conversions', 'reverse', 'order-1', '--reason', 'refund', '--reversal-key', 'again']), 1, "more than what remains of the conversion's value: nothing, all 100.00 USD of it was reversed.");
    const over = await tenx(['conversions', 'reverse', 'order-2', '--amount', '50.01', '--reason', 'refund', '--reversal-key', 'over']);
    // How much remains, which a merchant's conversions.write token could not look up (a journey pass).
    fails(over, 1, "The reversal (50.01 USD) is more than what remains of the conversion's value: 50.00 of its 50.00 USD.");
    fails(await tenx(['conversions', 'reverse', 'order-404', '--reason', 'fraud', '--reversal-key', 'missing']), 1, 'has idempotency key "order-404"');
    for (const key of ['again', 'over', 'missing']) expect(await reversals(key), key).to.deep.equal([]);
    expect(await conversion(ids['order-2'])).to.include({ reversedValue: 0, status: 'recorded' });
  });

  it('conversions reverse of a conversion without a value says it reversed it whole, and that no commission changed (it said "0.00" over an empty table)', async () => {
    const ctx = await clickThrough(server, tenant.handle, 'alpha-deal');
    const lead = (await server.http.post(CONVERSIONS).set(tenant.auth).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'lead-1' }).expect(201)).body;
    const res = await tenx(['conversions', 'reverse', 'lead-1', '--reason', 'other', '--reversal-key', 'lead-r1']);
    ok(res);
    expect(res.stdout).to.equal(`Reversed all of conversion ${lead.conversionId} (other): reversal ${(await server.sql.query("select reversal_id from conversion_reversals where reversal_key = 'lead-r1'")).rows[0].reversal_id}.\n` +
      'No commission row was created or changed (none of its commissions was left to take back).\n');
  });

  it('bad options are usage errors (exit 2) naming the option, checked before any request; --help shows an example', async () => {
    const bad = await tenx(['conversions', 'list', '--status', 'refunded']);
    fails(bad, 2, "option '--status <status>' argument 'refunded' is invalid");
    // The sentence and where to read on, not the whole usage after it (a CLI pass: 20-60 lines buried it).
    expect(bad.stderr.trim().split('\n')).to.deep.equal([
      "error: option '--status <status>' argument 'refunded' is invalid. Allowed choices are recorded, partially_reversed, reversed.",
      '(add --help for its usage and examples)',
    ]);
    fails(await tenx(['conversions', 'list', '--limit', '501']), 2, "option '--limit <n>' argument '501' is invalid");
    fails(await tenx(['conversions', 'list', '--limit', '0']), 2, 'between 1 and 500');
    fails(await tenx(['conversions', 'list', '--from', '2026-02-30']), 2, "option '--from <time>' argument '2026-02-30' is invalid");
    fails(await tenx(['conversions', 'list', '--to', 'yesterday']), 2, "option '--to <time>'");
    fails(await tenx(['conversions', 'reverse', 'order-3', '--reason', 'refund', '--amount', '1.234']), 2, "option '--amount <amount>' argument '1.234' is invalid");
    fails(await tenx(['conversions', 'reverse', 'order-3', '--reason', 'refund', '--amount', '0']), 2, "option '--amount <amount>'");
    fails(await tenx(['conversions', 'reverse', 'order-3', '--reason', 'oops']), 2, "option '--reason <reason>' argument 'oops' is invalid");
    fails(await tenx(['conversions', 'reverse', 'order-3']), 2, "required option '--reason <reason>' not specified");
    expect(await conversion(ids['order-3'])).to.include({ reversedValue: 0 });
    for (const command of ['list', 'reverse']) {
      const help = await tenx(['conversions', command, '--help']);
      ok(help);
      expect(help.stdout).to.match(new RegExp(`Examples:\\n {2}\\$ tenx conversions ${command} `));
    }
  });
});
