// An id the API takes as a UUID, mistyped on the command line, is the command line's mistake: exit 2 naming the
// argument, checked before any request (here TENX_URL points at a port nothing listens on, so a request would be
// exit 1 "cannot reach"). Before, most commands sent it and relayed the API's 400 "The path is invalid" (exit 1).
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runNode } from '../support/run.ts';

const TENX = fileURLToPath(new URL('../../scripts/tenx.js', import.meta.url));
const GOOD = '0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77';

describe('tenx: a mistyped id is a usage error (exit 2) before any request, on every command that takes one', function () {
  this.timeout(120_000);
  let configHome: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'tenx-cli-pass-usage-'));
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const down = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    env = { ...process.env, XDG_CONFIG_HOME: configHome, TENX_URL: down, TENX_HANDLE: 'acme', TENX_TOKEN: 'tenx_pat_x' };
  });
  after(() => rmSync(configHome, { recursive: true, force: true }));

  const cases: [string[], string][] = [
    [['commissions', 'approve', 'nope', '--reason', 'x'], "argument 'commissionIds'"],
    [['commissions', 'reject', GOOD, 'nope', '--reason', 'x'], "argument 'commissionIds'"],
    [['payouts', 'mark-paid', 'nope'], "argument 'payoutId'"],
    [['payouts', 'cancel', 'nope'], "argument 'payoutId'"],
    [['payouts', 'statement', 'nope'], "argument 'payoutId'"],
    [['payouts', 'get', 'nope'], "argument 'payoutId'"],
    [['tokens', 'revoke', 'nope'], "argument 'tokenId'"],
    [['tokens', 'rotate', 'nope'], "argument 'tokenId'"],
    [['webhooks', 'rm', 'nope'], "argument 'webhookId'"],
    [['webhooks', 'ping', 'nope'], "argument 'webhookId'"],
    [['webhooks', 'rotate-secret', 'nope'], "argument 'webhookId'"],
    [['notifications', 'redeliver', 'nope'], "argument 'deliveryId'"],
    [['notifications', 'list', '--webhook', 'nope'], "option '--webhook <webhookId>'"],
  ];

  it('exit 2, the argument named with what an id looks like; a well-formed id goes on to the server', async () => {
    for (let i = 0; i < cases.length; i += 4) {
      const runs = await Promise.all(cases.slice(i, i + 4).map(([args]) => runNode([TENX, ...args], env)));
      runs.forEach((r, j) => {
        const [args, named] = cases[i + j];
        expect(r.code, `tenx ${args.join(' ')}\n${r.stderr}`).to.equal(2);
        expect(r.stderr).to.include(named).and.include('expected an id like').and.not.include('cannot reach');
      });
    }
    const wellFormed = await runNode([TENX, 'payouts', 'cancel', GOOD], env);
    expect(wellFormed.code, wellFormed.stderr).to.equal(1);
    expect(wellFormed.stderr).to.include('cannot reach');
  });

  it('a mistyped scope or event type, or a TENX_TIMEOUT that is no number, is a usage error naming it before any request (a CLI pass got the API\'s 400)', async () => {
    const [scope, event, timeout, fine] = await Promise.all([
      runNode([TENX, 'tokens', 'create', '--name', 'bad', '--scopes', 'campaigns.read,conversions.wrte'], env),
      runNode([TENX, 'webhooks', 'add', '--url', 'https://example.com/hook', '--events', 'conversion.created'], env),
      runNode([TENX, 'campaigns', 'list'], { ...env, TENX_TIMEOUT: 'abc' }),
      runNode([TENX, 'tokens', 'create', '--name', 'ok', '--scopes', 'campaigns.read,conversions.write'], env),
    ]);
    expect(scope.code, scope.stderr).to.equal(2);
    expect(scope.stderr).to.include('unknown scope "conversions.wrte"; did you mean "conversions.write"?').and.not.include('cannot reach');
    expect(event.code, event.stderr).to.equal(2);
    expect(event.stderr).to.include('unknown event type "conversion.created"').and.include('conversion.tested');
    expect(timeout.code, timeout.stderr).to.equal(2);
    expect(timeout.stderr).to.include('TENX_TIMEOUT must be a number of seconds above 0, got "abc"');
    expect(fine.code, fine.stderr).to.equal(1);
    expect(fine.stderr).to.include('cannot reach');
  });
});
