import { expect } from 'chai';
import { Ajv } from 'ajv';
import type { BotDetectorPlugin, BotVerdict, ClickFacts, PluginApi } from '../../core/plugins/sdk.ts';
import { manifestProblems } from '../../core/plugins/manifest.ts';
import userAgent from '../../plugins/bot-detectors/user-agent/index.ts';
import burst from '../../plugins/bot-detectors/burst/index.ts';
import automation from '../../plugins/bot-detectors/automation/index.ts';
import linkPreview from '../../plugins/bot-detectors/link-preview/index.ts';
import { noPosting } from '../support/plugin-api.ts';

const UA = {
  chromeDesktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  firefoxAndroid: 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  curl: 'curl/8.5.0',
  headlessChrome:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
  pythonRequests: 'python-requests/2.31.0',
};
const BROWSERS = [UA.chromeDesktop, UA.safariIphone, UA.ipad, UA.firefoxAndroid];
const detectors: BotDetectorPlugin[] = [userAgent, burst, automation, linkPreview];

/** A PluginApi whose counter is a plain in-memory map (one fixed window: the whole test). */
function memoryApi(): PluginApi & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    handle: 'acme',
    counts,
    postJson: noPosting,
    async incrementCounter(key) {
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n;
    },
    log: { info() {}, warn() {} },
  };
}

/** A person's click from Chrome on Windows unless told otherwise. */
function click(over: Partial<ClickFacts> = {}): ClickFacts {
  return {
    handle: 'acme', campaignId: 'partner-alpha', slug: 'deal-alpha', ip: '203.0.113.7', userAgent: UA.chromeDesktop,
    headers: { 'accept-language': 'en-US,en;q=0.9', accept: 'text/html' }, source: 'direct', referrerHost: null,
    country: 'US', device: 'desktop', languages: ['en'], query: {}, occurredAt: new Date('2026-02-25T12:00:00Z'), ...over,
  };
}

async function inspect(plugin: BotDetectorPlugin, c: ClickFacts, settings: object = {}, api: PluginApi = memoryApi()): Promise<BotVerdict> {
  return plugin.inspect(c, { ...plugin.defaultSettings, ...settings }, api);
}

describe('bot detectors: manifests', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });

  for (const plugin of detectors) {
    it(`${plugin.name} is a valid bot-detector manifest whose defaults satisfy its own schema`, () => {
      expect(manifestProblems(plugin)).to.deep.equal([]);
      expect(plugin.kind).to.equal('bot-detector');
      expect(plugin.version).to.equal('1.0.0');
      expect(ajv.validate(plugin.settingsSchema!, plugin.defaultSettings), JSON.stringify(ajv.errors)).to.equal(true);
    });
  }

  it('no detector flags real browsers sending ordinary navigation headers', async () => {
    for (const plugin of detectors) {
      for (const ua of BROWSERS) {
        const verdict = await inspect(plugin, click({ userAgent: ua }));
        expect(verdict, `${plugin.name}: ${ua}`).to.deep.equal({ bot: false });
      }
    }
  });
});

describe('bot detectors: user-agent', () => {
  it('flags crawlers and scripts, naming what matched', async () => {
    expect(await inspect(userAgent, click({ userAgent: UA.curl }))).to.deep.equal({ bot: true, reason: 'user_agent:curl' });
    expect(await inspect(userAgent, click({ userAgent: UA.pythonRequests }))).to.deep.equal({ bot: true, reason: 'user_agent:python-requests' });
    expect(await inspect(userAgent, click({ userAgent: UA.headlessChrome }))).to.deep.equal({ bot: true, reason: 'user_agent:headlesschrome' });
    const google = await inspect(userAgent, click({ userAgent: UA.googlebot }));
    expect(google.bot).to.equal(true);
    expect(google.reason).to.match(/^user_agent:google/);
  });

  it('flags the common HTTP tools', async () => {
    const tools = ['Wget/1.21.4', 'Go-http-client/1.1', 'axios/1.6.8', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
      'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1'];
    for (const ua of tools) expect((await inspect(userAgent, click({ userAgent: ua }))).bot, ua).to.equal(true);
  });

  it('flags an empty User-Agent', async () => {
    expect(await inspect(userAgent, click({ userAgent: '' }))).to.deep.equal({ bot: true, reason: 'user_agent:empty' });
    expect(await inspect(userAgent, click({ userAgent: '  ' }))).to.deep.equal({ bot: true, reason: 'user_agent:empty' });
  });

  it('keeps reasons short and safe', async () => {
    const verdict = await inspect(userAgent, click({ userAgent: `${'Weird Thing '.repeat(20)}` }));
    expect(verdict.bot).to.equal(true);
    expect(verdict.reason).to.match(/^user_agent:[a-z0-9._-]{1,40}$/);
  });

  it('honours a handle\'s extra and allow patterns (substrings, case-insensitive)', async () => {
    const monitor = 'UptimeMonitor/2.0 (+https://partner.example/monitor)';
    expect((await inspect(userAgent, click({ userAgent: monitor }))).bot).to.equal(true);
    expect(await inspect(userAgent, click({ userAgent: monitor }), { allowPatterns: ['uptimemonitor/'] })).to.deep.equal({ bot: false });
    const suspicious = `${UA.chromeDesktop} ClickFarm/1.0`;
    expect(await inspect(userAgent, click({ userAgent: suspicious }), { extraPatterns: ['ClickFarm'] })).to.deep.equal({
      bot: true,
      reason: 'user_agent:clickfarm',
    });
  });
});

describe('bot detectors: burst', () => {
  it('flags the 31st click from one IP on one campaign within a minute', async () => {
    const api = memoryApi();
    for (let i = 1; i <= 30; i++) expect((await inspect(burst, click(), {}, api)).bot, `click ${i}`).to.equal(false);
    const verdict = await inspect(burst, click(), {}, api);
    expect(verdict.bot).to.equal(true);
    expect(verdict.reason).to.equal('burst:31/min');
    expect([...api.counts.keys()]).to.deep.equal(['burst:partner-alpha:203.0.113.7']);
  });

  it('counts each IP and each campaign on its own', async () => {
    const api = memoryApi();
    const settings = { maxClicksPerMinute: 2 };
    for (let i = 0; i < 3; i++) await inspect(burst, click(), settings, api);
    expect((await inspect(burst, click({ ip: '198.51.100.1' }), settings, api)).bot).to.equal(false);
    expect((await inspect(burst, click({ campaignId: 'partner-beta' }), settings, api)).bot).to.equal(false);
    expect(await inspect(burst, click(), settings, api)).to.include({ bot: true, reason: 'burst:4/min' });
  });

  it('does not judge a click when the counter is unavailable', async () => {
    const warnings: object[] = [];
    const broken: PluginApi = {
      ...memoryApi(),
      incrementCounter: () => Promise.reject(new Error('redis down')),
      log: { info() {}, warn: (obj) => warnings.push(obj) },
    };
    expect(await inspect(burst, click(), {}, broken)).to.deep.equal({ bot: false });
    expect(warnings).to.have.length(1);

    // A counter that throws before it has a promise: the same verdict and warning, given at once.
    const throwing: PluginApi = { ...broken, incrementCounter: () => { throw new Error('no client'); } };
    expect(burst.inspect(click(), { maxClicksPerMinute: 30 }, throwing)).to.deep.equal({ bot: false });
    expect(warnings).to.have.length(2);
  });

  it('answers a click without an address at once, unflagged, counting nothing', () => {
    const api = memoryApi();
    expect(burst.inspect(click({ ip: '' }), { maxClicksPerMinute: 30 }, api)).to.deep.equal({ bot: false });
    expect(api.counts.size).to.equal(0);
  });
});

describe('bot detectors: automation', () => {
  it('flags headless and WebDriver-driven browsers', async () => {
    expect(await inspect(automation, click({ userAgent: UA.headlessChrome }))).to.deep.equal({ bot: true, reason: 'automation:headless' });
    expect(await inspect(automation, click({ userAgent: `${UA.chromeDesktop} Puppeteer` }))).to.deep.equal({ bot: true, reason: 'automation:puppeteer' });
    expect((await inspect(automation, click({ userAgent: `${UA.chromeDesktop} Selenium/4` }))).reason).to.equal('automation:selenium');
  });

  it('flags a headless client hint behind an ordinary UA', async () => {
    const headers = { 'accept-language': 'en', 'sec-ch-ua': '"HeadlessChrome";v="124", "Chromium";v="124"' };
    expect(await inspect(automation, click({ headers }))).to.deep.equal({ bot: true, reason: 'automation:headless' });
  });

  it('flags a browser-looking UA without Accept-Language, unless the handle turns that off', async () => {
    const bare = click({ headers: {} });
    expect(await inspect(automation, bare)).to.deep.equal({ bot: true, reason: 'automation:no_accept_language' });
    expect(await inspect(automation, bare, { flagMissingAcceptLanguage: false })).to.deep.equal({ bot: false });
    expect(await inspect(automation, click({ userAgent: 'SomeApp/1.0', headers: {} }))).to.deep.equal({ bot: false });
  });
});

describe('bot detectors: link-preview', () => {
  it('flags browser prefetches by their purpose headers', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ purpose: 'prefetch' }, 'link_preview:prefetch'],
      [{ 'sec-purpose': 'prefetch;prerender' }, 'link_preview:prefetch'],
      [{ 'x-purpose': 'preview' }, 'link_preview:preview'],
      [{ 'x-moz': 'prefetch' }, 'link_preview:prefetch'],
    ];
    for (const [headers, reason] of cases) {
      expect(await inspect(linkPreview, click({ headers: { 'accept-language': 'en', ...headers } })), reason).to.deep.equal({ bot: true, reason });
    }
  });

  it('names chat and social previewers', async () => {
    const cases: Record<string, string> = {
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)': 'slack',
      'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)': 'discord',
      'WhatsApp/2.23.20.0 A': 'whatsapp',
      'TelegramBot (like TwitterBot)': 'telegram',
      'Twitterbot/1.0': 'twitter',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)': 'facebook',
      'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)': 'linkedin',
      'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5': 'skype',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0': 'imessage',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)': 'apple',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0 Safari/537.36 Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)': 'google',
    };
    for (const [ua, who] of Object.entries(cases)) {
      expect(await inspect(linkPreview, click({ userAgent: ua })), ua).to.deep.equal({ bot: true, reason: `link_preview:${who}` });
    }
  });

  it('does not mistake in-app browsers for their previewers', async () => {
    const facebookApp = `${UA.safariIphone} [FBAN/FBIOS;FBAV/450.0.0.0]`;
    const linkedinApp = `${UA.safariIphone} [LinkedInApp]/9.29`;
    for (const ua of [facebookApp, linkedinApp]) expect(await inspect(linkPreview, click({ userAgent: ua })), ua).to.deep.equal({ bot: false });
  });

  it('can be limited to previewers or to prefetches', async () => {
    const prefetch = click({ headers: { 'accept-language': 'en', 'sec-purpose': 'prefetch' } });
    expect(await inspect(linkPreview, prefetch, { flagPrefetch: false })).to.deep.equal({ bot: false });
    expect(await inspect(linkPreview, click({ userAgent: 'Twitterbot/1.0' }), { flagPreviewers: false })).to.deep.equal({ bot: false });
  });
});
