import { expect } from 'chai';
import fc from 'fast-check';
import { clientIp, parseTrustedProxies } from '../../core/http/client-ip.ts';
import { countryOf, deviceClass, languages, sourceChannel } from '../../core/redirect/classify.ts';

const UA = {
  chromeDesktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  firefoxAndroid: 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0',
  androidTablet: 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  instagramApp:
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36 Instagram 330.0',
  smartTv: 'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/2.2 Chrome/63.0.3239.84 TV Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  curl: 'curl/8.5.0',
  headlessChrome:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
  pythonRequests: 'python-requests/2.31.0',
};

describe('classify: the client IP', () => {
  const proxies = parseTrustedProxies('10.0.0.0/8, 192.168.1.10, 2001:db8::/32');

  it('ignores x-forwarded-for when no proxy is trusted', () => {
    expect(clientIp('203.0.113.9', '198.51.100.1', parseTrustedProxies(''))).to.equal('203.0.113.9');
  });

  it('ignores x-forwarded-for sent by an untrusted peer (a spoofing client)', () => {
    expect(clientIp('203.0.113.9', '1.2.3.4', proxies)).to.equal('203.0.113.9');
  });

  it('takes the hop before a trusted proxy', () => {
    expect(clientIp('10.1.2.3', '198.51.100.7', proxies)).to.equal('198.51.100.7');
  });

  it('walks right to left skipping trusted hops, so a client-supplied left part is ignored', () => {
    expect(clientIp('10.1.2.3', '6.6.6.6, 198.51.100.7, 192.168.1.10, 10.9.9.9', proxies)).to.equal('198.51.100.7');
  });

  it('returns the leftmost hop when every hop is trusted', () => {
    expect(clientIp('10.1.2.3', '10.0.0.2, 10.0.0.1', proxies)).to.equal('10.0.0.2');
  });

  it('normalises IPv4-mapped IPv6 peers and hops', () => {
    expect(clientIp('::ffff:203.0.113.9', undefined, proxies)).to.equal('203.0.113.9');
    expect(clientIp('::ffff:10.0.0.1', '::FFFF:198.51.100.7', proxies)).to.equal('198.51.100.7');
  });

  it('trusts IPv6 CIDRs', () => {
    expect(clientIp('2001:db8::1', '2a00:1450:4001::1', proxies)).to.equal('2a00:1450:4001::1');
    expect(clientIp('2001:db9::1', '2a00:1450:4001::1', proxies)).to.equal('2001:db9::1');
  });

  it('strips ports some proxies append to a hop', () => {
    expect(clientIp('10.0.0.1', '198.51.100.7:51234', proxies)).to.equal('198.51.100.7');
    expect(clientIp('10.0.0.1', '[2a00:1450::1]:443', proxies)).to.equal('2a00:1450::1');
  });

  it('keeps the last trusted address when a trusted hop forwarded garbage', () => {
    expect(clientIp('10.0.0.1', 'unknown', proxies)).to.equal('10.0.0.1');
    expect(clientIp('10.0.0.1', 'unknown, 10.0.0.2', proxies)).to.equal('10.0.0.2');
  });

  it('skips empty segments of a sloppy header', () => {
    expect(clientIp('10.0.0.1', '198.51.100.7,, ', proxies)).to.equal('198.51.100.7');
  });

  it('rejects a bad TRUSTED_PROXIES entry by name', () => {
    expect(() => parseTrustedProxies('10.0.0.1, nope')).to.throw(/"nope"/);
    expect(() => parseTrustedProxies('10.0.0.0/33')).to.throw(/"10.0.0.0\/33"/);
    expect(() => parseTrustedProxies('2001:db8::/129')).to.throw(/2001:db8::\/129/);
    expect(() => parseTrustedProxies('10.0.0.0/x')).to.throw(/10.0.0.0\/x/);
  });

  it('accepts an empty list and stray commas', () => {
    expect(parseTrustedProxies('').size).to.equal(0);
    expect(parseTrustedProxies(' 127.0.0.1 , ,::1 ').size).to.equal(2);
  });
});

describe('classify: the source channel', () => {
  const src = (query: Record<string, string>, referer?: string) => sourceChannel(query, referer).source;

  it('prefers src, then utm_source', () => {
    expect(src({ src: 'email', utm_source: 'newsletter' }, 'https://t.co/x')).to.equal('email');
    expect(src({ utm_source: 'Newsletter' }, 'https://t.co/x')).to.equal('newsletter');
  });

  it('makes src safe as an analytics key: trimmed, lower-cased, [a-z0-9._-], at most 64 chars', () => {
    expect(src({ src: '  Spring Sale/2026!  ' })).to.equal('spring-sale-2026-');
    expect(src({ src: 'x'.repeat(100) })).to.have.length(64);
  });

  it('ignores an empty src and falls through to utm_source or the Referer', () => {
    expect(src({ src: '   ', utm_source: 'ig' })).to.equal('ig');
    // Control and formatting characters are dropped, not made into '-' channels (a helper pass: `src=%00` read as '-').
    expect(src({ src: '\u0000', utm_source: 'x' })).to.equal('x');
    expect(src({ src: '\u0001\u0002' })).to.equal('direct');
    expect(src({ utm_source: '\u202E'.repeat(10) })).to.equal('direct');
    expect(src({ src: 'news\u200Bletter' })).to.equal('newsletter');
    expect(src({ src: '\uE000', utm_source: 'y' })).to.equal('y');
    expect(src({ src: '' }, 'https://t.co/abc')).to.equal('twitter');
  });

  it('maps well-known Referer hosts to channels', () => {
    const cases: Record<string, string> = {
      'https://t.co/x': 'twitter',
      'https://twitter.com/acme': 'twitter',
      'https://x.com/acme/status/1': 'twitter',
      'https://l.instagram.com/?u=1': 'instagram',
      'https://www.instagram.com/': 'instagram',
      'https://m.facebook.com/': 'facebook',
      'https://l.facebook.com/l.php?u=x': 'facebook',
      'https://fb.me/abc': 'facebook',
      'https://mail.google.com/mail/u/0/': 'email',
      'https://outlook.live.com/mail/0/': 'email',
      'https://outlook.office.com/': 'email',
      'https://mail.yahoo.com/': 'email',
      'android-app://com.google.android.gm/': 'email',
      'https://www.linkedin.com/feed/': 'linkedin',
      'https://lnkd.in/abc': 'linkedin',
      'https://www.youtube.com/watch?v=1': 'youtube',
      'https://youtu.be/abc': 'youtube',
      'https://old.reddit.com/r/deals': 'reddit',
      'https://www.google.com/': 'search',
      'https://www.google.co.uk/': 'search',
      'https://www.bing.com/search?q=x': 'search',
      'https://duckduckgo.com/': 'search',
      'https://www.tiktok.com/@acme': 'tiktok',
      'https://www.pinterest.com/pin/1': 'pinterest',
      'https://wa.me/123': 'whatsapp',
      'https://web.whatsapp.com/': 'whatsapp',
      'https://t.me/acme': 'telegram',
    };
    for (const [referer, channel] of Object.entries(cases)) expect(src({}, referer), referer).to.equal(channel);
  });

  it('falls back to the Referer host itself, lower-cased, www. kept (API.md: "the Referer host itself")', () => {
    expect(sourceChannel({}, 'https://WWW.Deals-Blog.example:8443/post?x=1')).to.deep.equal({
      source: 'www.deals-blog.example',
      referrerHost: 'www.deals-blog.example',
    });
    expect(sourceChannel({}, 'https://deals-blog.example/post')).to.deep.equal({ source: 'deals-blog.example', referrerHost: 'deals-blog.example' });
    expect(sourceChannel({}, 'https://www.google.de/')).to.deep.equal({ source: 'search', referrerHost: 'www.google.de' });
    expect(src({}, 'https://news.google.com/articles/1')).to.equal('news.google.com');
  });

  it('reports the Referer host even when src decides the source', () => {
    expect(sourceChannel({ src: 'email' }, 'https://t.co/x')).to.deep.equal({ source: 'email', referrerHost: 't.co' });
  });

  it('is direct without src, utm_source or a usable Referer', () => {
    expect(sourceChannel({}, undefined)).to.deep.equal({ source: 'direct', referrerHost: null });
    expect(src({}, 'not a url')).to.equal('direct');
    expect(src({}, '')).to.equal('direct');
  });

  it('always yields a safe key, whatever the input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string()), (s, u, r) => {
        const { source, referrerHost } = sourceChannel({ src: s, utm_source: u }, r ?? undefined);
        expect(source).to.match(/^[a-z0-9._-]{1,253}$/);
        if (referrerHost !== null) expect(referrerHost).to.match(/^[a-z0-9._-]{1,253}$/);
      }),
    );
  });
});

describe('classify: the device class', () => {
  it('sees real browsers as people, with their device', () => {
    expect(deviceClass(UA.chromeDesktop)).to.equal('desktop');
    expect(deviceClass(UA.safariMac)).to.equal('desktop');
    expect(deviceClass(UA.firefoxLinux)).to.equal('desktop');
    expect(deviceClass(UA.safariIphone)).to.equal('mobile');
    expect(deviceClass(UA.firefoxAndroid)).to.equal('mobile');
    expect(deviceClass(UA.instagramApp)).to.equal('mobile');
    expect(deviceClass(UA.ipad)).to.equal('tablet');
    expect(deviceClass(UA.androidTablet)).to.equal('tablet');
  });

  it('calls crawlers, scripts, headless browsers and empty UAs bots', () => {
    for (const ua of [UA.googlebot, UA.curl, UA.headlessChrome, UA.pythonRequests, '', '   ']) {
      expect(deviceClass(ua), ua).to.equal('bot');
    }
  });

  it('calls TVs and consoles other', () => {
    expect(deviceClass(UA.smartTv)).to.equal('other');
  });

  it('answers the same from its cache, and survives more distinct UAs than it holds', () => {
    expect(deviceClass(UA.safariIphone)).to.equal('mobile');
    for (let i = 0; i < 5100; i++) deviceClass(`${UA.chromeDesktop} build/${i}`);
    expect(deviceClass(UA.safariIphone)).to.equal('mobile');
  });
});

describe('classify: languages', () => {
  it('orders primary tags by q, dropping q=0, duplicates and wildcards', () => {
    expect(languages('de-CH;q=0.8, en-US, en;q=0.9, fr;q=0, *;q=0.1, DE')).to.deep.equal(['en', 'de']);
  });

  it('stops at a wildcard: a tag ranked below "any language" is no preference (it read "*, de;q=0.5" as German)', () => {
    expect(languages('*, de;q=0.5')).to.deep.equal([]);
    expect(languages('fr, *;q=0.8, de;q=0.5')).to.deep.equal(['fr']);
    expect(languages('de, *')).to.deep.equal(['de']);
    expect(languages('*')).to.deep.equal([]);
  });

  it('keeps the header order for equal q', () => {
    expect(languages('pt-BR, es, it')).to.deep.equal(['pt', 'es', 'it']);
  });

  it('hands each caller its own array, even from the cache', () => {
    const first = languages('nl-BE, nl;q=0.9, en;q=0.5');
    first.push('xx');
    expect(languages('nl-BE, nl;q=0.9, en;q=0.5')).to.deep.equal(['nl', 'en']);
  });

  it('is empty without a header, and ignores garbage', () => {
    expect(languages(undefined)).to.deep.equal([]);
    expect(languages('')).to.deep.equal([]);
    expect(languages('12, ;;;, en;q=abc, x-klingon')).to.deep.equal([]);
  });

  it('returns at most 10 lower-case tags', () => {
    const header = 'aa,bb,cc,dd,ee,ff,gg,hh,ii,jj,kk,ll';
    expect(languages(header)).to.have.length(10);
    fc.assert(
      fc.property(fc.string(), (h) => {
        const out = languages(h);
        expect(out.length).to.be.at.most(10);
        expect(new Set(out).size).to.equal(out.length);
        for (const tag of out) expect(tag).to.match(/^[a-z]{2,3}$/);
      }),
    );
  });
});

describe('classify: the country', () => {
  it('takes a two-letter edge header, upper-cased', () => {
    expect(countryOf({ 'cf-ipcountry': 'de' }, '8.8.8.8', 'cf-ipcountry')).to.equal('DE');
    expect(countryOf({ 'x-country': 'FR' }, '', 'x-country')).to.equal('FR');
  });

  it('falls back to GeoIP when the header is absent, unknown (XX), Tor (T1) or malformed', () => {
    expect(countryOf({}, '8.8.8.8', 'cf-ipcountry')).to.equal('US');
    expect(countryOf({ 'cf-ipcountry': 'XX' }, '8.8.8.8', 'cf-ipcountry')).to.equal('US');
    expect(countryOf({ 'cf-ipcountry': 'T1' }, '8.8.8.8', 'cf-ipcountry')).to.equal('US');
    expect(countryOf({ 'cf-ipcountry': 'USA' }, '8.8.8.8', 'cf-ipcountry')).to.equal('US');
    // Two letters that are no assigned code (what countryIn refuses) are no country: a helper pass recorded EU and UK.
    for (const code of ['EU', 'A1', 'AP', 'QO', 'ZZ', 'SU']) expect(countryOf({ 'cf-ipcountry': code }, '8.8.8.8', 'cf-ipcountry'), code).to.equal('US');
    expect(countryOf({ 'cf-ipcountry': 'uk' }, '8.8.8.8', 'cf-ipcountry')).to.equal('GB');
    expect(countryOf({ 'cf-ipcountry': 'XK' }, '8.8.8.8', 'cf-ipcountry')).to.equal('XK');
  });

  it('is ZZ when neither knows', () => {
    expect(countryOf({}, '10.0.0.1', 'cf-ipcountry')).to.equal('ZZ');
    expect(countryOf({}, '', 'cf-ipcountry')).to.equal('ZZ');
    expect(countryOf({ 'cf-ipcountry': 'XX' }, 'garbage', 'cf-ipcountry')).to.equal('ZZ');
  });
});
