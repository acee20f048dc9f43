// `tenx postbacks …`: a partner logged in with its partner token manages its own postbacks and reads their
// deliveries; a manager's login is told what to log in with; a read-only partner token is refused writing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { POSTBACK_EVENTS as SERVER_POSTBACK_EVENTS } from '../../core/notifications/index.ts';
import { POSTBACK_EVENTS } from '../../scripts/cli/postbacks.ts';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { assignPartner, createPartner, partnerToken } from '../support/partners.ts';
import { runNode, type Run } from '../support/run.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventually, startReceiver, type Receiver } from '../support/webhooks.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('tenx postbacks: a partner manages its own postbacks from the CLI', function () {
  this.timeout(120_000);
  let server: TestServer;
  let rx: Receiver;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  let configHome: string;
  let writer: string;
  let reader: string;

  const tenx = (args: string[], token: string): Promise<Run> => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: server.url, TENX_HANDLE: h.handle, TENX_TOKEN: token };
    return runNode([TENX, ...args], env);
  };
  const ok = (r: Run) => expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-postbacks-'));
    server = await startTestServer();
    rx = await startReceiver();
    h = await partnerCampaign(server);
    await createPartner(server, h, 'anna');
    await assignPartner(server, h, 'partner-alpha', 'anna');
    writer = (await partnerToken(server, h, 'anna', { scopes: ['partner.read', 'partner.postbacks.write'] })).token;
    reader = (await partnerToken(server, h, 'anna')).token;
  });
  after(async () => {
    await rx?.close();
    await server?.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('offers exactly the events the server accepts', () => {
    expect([...POSTBACK_EVENTS].sort()).to.deep.equal([...SERVER_POSTBACK_EVENTS].sort());
  });

  it('adds a GET postback, lists it, shows its delivery once a conversion fires it, and removes it', async () => {
    const added = await tenx(['postbacks', 'add', '--url', `${rx.url}?c={conversion_id}&v={value}&cur={currency}`, '--events', 'conversion.tested'], writer);
    ok(added);
    const id = UUID.exec(added.stdout)?.[0];
    expect(added.stdout).to.include(`Created postback ${id}: GET ${rx.url}?c={conversion_id}`).and.include('on conversion.tested');
    expect(added.stdout, 'a GET postback prints no secret').to.not.match(/whsec_/);

    const listed = await tenx(['postbacks', 'list'], reader);
    ok(listed);
    expect(listed.stdout).to.match(/POSTBACK\s+METHOD\s+EVENTS/).and.include(id).and.include('conversion.tested');

    const { ctx } = await storedClick(server, h.handle, 'partner-alpha');
    const conversion = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'sale', value: 12.5, currency: 'EUR', idempotencyKey: 'cli-postback-1' }).expect(201);
    await rx.waitFor((r) => r.length >= 1);
    expect(rx.received[0].url).to.include(`c=${conversion.body.conversionId}`).and.include('v=12.50').and.include('cur=EUR');
    const deliveries = await eventually(async () => {
      const d = await tenx(['postbacks', 'deliveries', id!], reader);
      return d.stdout.includes('succeeded') && d;
    }, 15_000, 'a succeeded delivery');
    ok(deliveries);
    expect(deliveries.stdout).to.match(/conversion\.tested\s+succeeded\s+1\s+200/);
    expect(deliveries.stdout, 'no WEBHOOK column: the postback is named on the command line').to.not.include('WEBHOOK');
    const json = await tenx(['postbacks', 'deliveries', id!, '--json'], reader);
    ok(json);
    expect(JSON.parse(json.stdout).data[0]).to.include({ eventType: 'conversion.tested', status: 'succeeded' });

    ok(await tenx(['postbacks', 'rm', id!], writer));
    const empty = await tenx(['postbacks', 'list'], writer);
    ok(empty);
    expect(empty.stdout.trim().split('\n')).to.have.length(1); // the header alone
    expect(empty.stderr).to.include('no postbacks yet');
  });

  it('prints a POST postback\'s signing secret alone on stdout, once', async () => {
    const added = await tenx(['postbacks', 'add', '--url', `${rx.url}/hook`, '--method', 'POST'], writer);
    ok(added);
    expect(added.stdout.trim()).to.match(/^whsec_\S+$/);
    expect(added.stderr).to.include('shown only once').and.include('conversion.tested, commission.created, commission.updated');
    const listed = await tenx(['postbacks', 'list', '--json'], writer);
    expect(JSON.parse(listed.stdout).data[0]).to.include({ method: 'POST' }).and.not.have.property('secret');
  });

  it('refuses what it cannot do, saying why: a read-only token (403), an unknown macro (400), an unknown event and a manager login (usage)', async () => {
    const readOnly = await tenx(['postbacks', 'add', '--url', `${rx.url}?c={click_id}`], reader);
    expect(readOnly.code).to.equal(1);
    expect(readOnly.stderr).to.include('partner.postbacks.write').and.include('tenx partners token PARTNER_ID --postbacks');
    expect(readOnly.stderr).to.not.include('tenx tokens create');
    const macro = await tenx(['postbacks', 'add', '--url', `${rx.url}?x={payout}`], writer);
    expect(macro.code).to.equal(1);
    expect(macro.stderr).to.include('{payout}');
    const event = await tenx(['postbacks', 'add', '--url', rx.url, '--events', 'payout.paid'], writer);
    expect(event.code).to.equal(2);
    expect(event.stderr).to.include('unknown event payout.paid');
    const manager = await tenx(['postbacks', 'list'], h.ownerToken);
    expect(manager.code).to.equal(2);
    expect(manager.stderr).to.include('log in with its partner token');
    expect(manager.stderr).to.not.match(/at .*\.ts:\d+/);
  });
});
