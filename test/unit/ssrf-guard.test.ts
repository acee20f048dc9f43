import { expect } from 'chai';
import { ENDPOINT_NOT_ALLOWED, addressProblem, checkEndpoint, guardedLookup, resolveAddresses } from '../../core/notifications/ssrf-guard.ts';

/** A resolver that answers every host with the given addresses and records what it was asked. */
function resolvesTo(...addresses: string[]) {
  const asked: string[] = [];
  const lookup = async (host: string) => { asked.push(host); return addresses; };
  return { lookup, asked };
}

const refused: Array<[string, string, RegExp]> = [
  ['127.0.0.1', 'loopback', /loopback/],
  ['127.255.0.9', 'loopback, anywhere in 127/8', /loopback/],
  ['::1', 'IPv6 loopback', /loopback/],
  ['10.1.2.3', 'private 10/8', /private/],
  ['172.16.0.1', 'private 172.16/12, low end', /private/],
  ['172.31.255.254', 'private 172.16/12, high end', /private/],
  ['192.168.1.1', 'private 192.168/16', /private/],
  ['fd12:3456::1', 'IPv6 unique local fc00::/7', /private/],
  ['169.254.10.1', 'link-local', /link-local/],
  ['fe80::1', 'IPv6 link-local', /link-local/],
  ['fe80::1%eth0', 'IPv6 link-local with a zone id', /link-local/],
  ['100.64.0.1', 'carrier-grade NAT', /carrier-grade NAT/],
  ['100.127.255.254', 'carrier-grade NAT, high end', /carrier-grade NAT/],
  ['0.0.0.0', 'unspecified', /unspecified/],
  ['0.1.2.3', 'this-network 0/8', /unspecified/],
  ['::', 'IPv6 unspecified', /unspecified/],
  ['224.0.0.1', 'multicast', /multicast/],
  ['239.255.255.250', 'multicast (SSDP)', /multicast/],
  ['ff02::1', 'IPv6 multicast', /multicast/],
  ['255.255.255.255', 'broadcast', /broadcast/],
  ['169.254.169.254', 'cloud metadata (AWS, GCP, Azure)', /metadata/],
  ['fd00:ec2::254', 'AWS IPv6 metadata', /metadata/],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback', /IPv4-mapped form of 127\.0\.0\.1 \(a loopback/],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form', /IPv4-mapped form of 127\.0\.0\.1/],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata', /IPv4-mapped form of 169\.254\.169\.254 \(a cloud metadata/],
  ['::ffff:10.0.0.1', 'IPv4-mapped private', /IPv4-mapped form of 10\.0\.0\.1 \(a private/],
  ['64:ff9b::a00:1', 'NAT64 form of a private address', /NAT64 form of 10\.0\.0\.1/],
  ['2002:7f00:1::1', '6to4 form of loopback', /6to4 form of 127\.0\.0\.1/],
  ['192.0.2.10', 'documentation range', /reserved/],
  ['2001:db8::1', 'IPv6 documentation range', /reserved/],
  // Issue 12 item 8: every IPv4-mapped address, whatever it carries, and Teredo tunnels.
  ['::ffff:8.8.8.8', 'IPv4-mapped, even of a public address', /IPv4-mapped address/],
  ['::ffff:808:808', 'IPv4-mapped public, hex form', /IPv4-mapped address/],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo 2001::/32', /Teredo/],
  ['2001::1', 'Teredo, short form', /Teredo/],
  // The black-box pass of 2026-12-05: IPv4-translated ::ffff:0:0/96 (loopback, metadata, private), special-purpose and
  // documentation ranges, and space outside global unicast.
  ['::ffff:0:7f00:1', 'IPv4-translated loopback', /reserved/],
  ['::ffff:0:a9fe:a9fe', 'IPv4-translated metadata', /reserved/],
  ['::ffff:0:a00:1', 'IPv4-translated private', /reserved/],
  ['::7f00:1', 'IPv4-compatible loopback (deprecated)', /reserved/],
  ['2001:10::1', 'ORCHID 2001:10::/28', /special-purpose/],
  ['2001:2::1', 'benchmarking 2001:2::/48', /special-purpose/],
  ['3fff::1', 'documentation 3fff::/20', /special-purpose/],
  ['5f00::1', 'SRv6 SIDs 5f00::/16, outside 2000::/3', /reserved/],
  ['4000::1', 'unassigned, outside 2000::/3', /reserved/],
];

const allowed = ['93.184.215.14', '8.8.8.8', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '169.255.0.1',
  '2606:4700::6810:85e5', '64:ff9b::808:808', '2001:4860:4860::8888', '2a00:1450:4001:81c::200e', '2002:808:808::1', '3ffe:ffff::1'];

describe('SSRF guard: where webhooks may be sent', () => {
  describe('a host resolving to a non-public address is refused', () => {
    for (const [address, label, why] of refused) {
      it(`${address} (${label})`, async () => {
        const result = await checkEndpoint('https://hooks.partner.example/in', { allowPrivate: false, lookup: resolvesTo(address).lookup });
        expect(result.ok).to.equal(false);
        if (!result.ok) {
          // The tenant learns that the host is refused, never what it resolved to (item 8); the operator's log does.
          expect(result.reason).to.match(/^The endpoint host hooks\.partner\.example is not allowed: /);
          expect(result.reason).to.not.include(address.replace(/%.*$/, ''));
          expect(result.reason).to.not.match(why);
          expect(result.detail).to.match(why);
          expect(addressProblem(address)).to.match(why);
        }
      });
    }
  });

  describe('a host resolving to a public address is allowed', () => {
    for (const address of allowed) {
      it(address, async () => {
        expect(await checkEndpoint('https://hooks.partner.example/in', { allowPrivate: false, lookup: resolvesTo(address).lookup }))
          .to.deep.equal({ ok: true, addresses: [address] });
      });
    }
  });

  it('refuses when ANY of the addresses is non-public (one bad A record among good ones)', async () => {
    const result = await checkEndpoint('https://mixed.example/', { allowPrivate: false, lookup: resolvesTo('8.8.8.8', '10.0.0.7').lookup });
    expect(result).to.deep.include({ ok: false });
    expect(result.ok || result.reason).to.match(/is not allowed/);
    expect(result.ok || result.detail).to.match(/10\.0\.0\.7, a private address/);
  });

  it('checks literal IPs in the URL without a lookup, including obfuscated and bracketed forms', async () => {
    const { lookup, asked } = resolvesTo('8.8.8.8');
    for (const url of ['https://127.0.0.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://[::1]:8443/', 'https://[::ffff:169.254.169.254]/', 'https://169.254.169.254/latest/meta-data']) {
      const result = await checkEndpoint(url, { allowPrivate: false, lookup });
      expect(result.ok, url).to.equal(false);
      expect(result.ok || result.reason, url).to.match(/^The endpoint address .+ is /);
    }
    expect(await checkEndpoint('https://8.8.4.4/hook', { allowPrivate: false, lookup })).to.deep.equal({ ok: true, addresses: ['8.8.4.4'] });
    expect(asked).to.deep.equal([]);
  });

  it('refuses metadata and localhost names without resolving them', async () => {
    const { lookup, asked } = resolvesTo('8.8.8.8');
    for (const host of ['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'localhost', 'api.localhost']) {
      const result = await checkEndpoint(`https://${host}/computeMetadata/v1/`, { allowPrivate: false, lookup });
      expect(result.ok, host).to.equal(false);
      expect(result.ok || result.reason, host).to.match(/metadata service|loopback name/);
    }
    expect(asked).to.deep.equal([]);
  });

  it('refuses plain http unless private endpoints are allowed', async () => {
    const { lookup } = resolvesTo('8.8.8.8');
    const result = await checkEndpoint('http://hooks.partner.example/', { allowPrivate: false, lookup });
    expect(result.ok).to.equal(false);
    expect(result.ok || result.reason).to.match(/must use https, not http/);
    expect(await checkEndpoint('http://127.0.0.1:8080/', { allowPrivate: true })).to.deep.equal({ ok: true, addresses: ['127.0.0.1'] });
  });

  it('with allowPrivate checks only the URL: no lookup, any address', async () => {
    const { lookup, asked } = resolvesTo('10.0.0.1');
    expect(await checkEndpoint('https://internal.example/', { allowPrivate: true, lookup })).to.deep.equal({ ok: true, addresses: [] });
    expect(asked).to.deep.equal([]);
  });

  it('refuses other schemes, invalid URLs and credentials in the URL, even with allowPrivate', async () => {
    for (const allowPrivate of [false, true]) {
      for (const [url, why] of [
        ['ftp://files.example/', allowPrivate ? /must use https or http, not ftp\.$/ : /must use https, not ftp; plain http is allowed only when WEBHOOK_ALLOW_PRIVATE/],
        ['file:///etc/passwd', allowPrivate ? /must use https or http, not file\.$/ : /must use https, not file/],
        ['javascript:alert(1)', allowPrivate ? /must use https or http, not javascript\.$/ : /must use https, not javascript/],
        ['not a url', /not a valid absolute URL/],
        ['/relative/path', /not a valid absolute URL/],
        ['https://user:pass@hooks.example/', /user name or password/],
        ['https://token@hooks.example/', /user name or password/],
      ] as const) {
        const result = await checkEndpoint(url, { allowPrivate, lookup: resolvesTo('8.8.8.8').lookup });
        expect(result.ok || result.reason, `${url} allowPrivate=${allowPrivate}`).to.match(why);
      }
    }
  });

  it('a host that does not resolve, resolves to nothing or to a private address gets one and the same answer', async () => {
    const failing = async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }); };
    const reasons = await Promise.all([failing, resolvesTo().lookup, resolvesTo('10.0.0.1').lookup].map(async (lookup) => {
      const r = await checkEndpoint('https://internal.example/', { allowPrivate: false, lookup });
      return r.ok ? 'ok' : r.reason;
    }));
    // Otherwise a tenant could tell which internal names exist.
    expect(new Set(reasons).size).to.equal(1);
    expect(reasons[0]).to.match(/^The endpoint host internal\.example is not allowed: /);
  });

  it('refuses ports outside 80, 443, 8443 (or WEBHOOK_ALLOWED_PORTS) unless allowPrivate', async () => {
    const { lookup } = resolvesTo('8.8.8.8');
    for (const url of ['https://hooks.example:6379/', 'https://hooks.example:22/', 'https://hooks.example:5432/', 'https://8.8.8.8:25/']) {
      const result = await checkEndpoint(url, { allowPrivate: false, lookup });
      expect(result.ok || result.reason, url).to.match(/^The endpoint port \d+ is not allowed/);
    }
    for (const url of ['https://hooks.example/', 'https://hooks.example:443/', 'https://hooks.example:8443/x']) {
      expect((await checkEndpoint(url, { allowPrivate: false, lookup })).ok, url).to.equal(true);
    }
    expect((await checkEndpoint('https://hooks.example:9443/', { allowPrivate: false, lookup, allowedPorts: [443, 9443] })).ok).to.equal(true);
    expect((await checkEndpoint('https://hooks.example:8443/', { allowPrivate: false, lookup, allowedPorts: [443, 9443] })).ok).to.equal(false);
    expect((await checkEndpoint('http://127.0.0.1:6379/', { allowPrivate: true })).ok).to.equal(true);
  });

  it('a lookup that fails for now (DNS down) is marked transient, not a verdict on the URL', async () => {
    const down = async () => { throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }); };
    expect(await checkEndpoint('https://hooks.partner.example/in', { allowPrivate: false, lookup: down })).to.deep.equal({
      ok: false, transient: true, reason: 'The endpoint host hooks.partner.example could not be resolved right now; retry shortly.', detail: 'EAI_AGAIN',
    });
  });

  it('the default resolver is dns.lookup with every address', async () => {
    const addresses = await resolveAddresses('localhost');
    expect(addresses).to.not.be.empty;
    for (const a of addresses) expect(addressProblem(a)).to.equal('a loopback address');
  });

  it('addressProblem names the category, or null for a public address', () => {
    expect(addressProblem('127.0.0.1')).to.equal('a loopback address');
    expect(addressProblem('8.8.8.8')).to.equal(null);
    expect(addressProblem('not-an-ip')).to.equal('not an IP address');
  });

  it('guardedLookup refuses non-public addresses at connect time (DNS rebinding)', async () => {
    for (const all of [true, false]) {
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', { all }, (e) => resolve(e)));
      expect(err?.code, `all=${all}`).to.equal(ENDPOINT_NOT_ALLOWED);
      expect(err?.message).to.equal('webhook endpoint localhost is not allowed (not a public address)');
    }
  });
});
