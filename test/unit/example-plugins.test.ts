import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { manifestProblems } from '../../core/plugins/manifest.ts';
import type { ClickFacts, OutgoingNotification, PluginApi } from 'tenx/plugin';
import appInstall from '../../plugins/examples/app-install/index.ts';
import discord, { discordLine } from '../../plugins/examples/discord/index.ts';
import subnetBurst, { subnetOf } from '../../plugins/examples/subnet-burst/index.ts';
import utmSegment from '../../plugins/examples/utm-segment/index.ts';
import { guardedPluginApi, noPosting } from '../support/plugin-api.ts';

function click(over: Partial<ClickFacts> = {}): ClickFacts {
  return {
    handle: 'acme', campaignId: 'partner-alpha', slug: 'deal-alpha', ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    headers: {}, source: 'direct', referrerHost: null, country: 'US', device: 'desktop', languages: ['en'], query: {},
    occurredAt: new Date('2026-02-25T10:00:00Z'), ...over,
  };
}

/** The counters a plugin gets, kept in memory: what the kernel does without Redis. */
function memoryApi(): PluginApi & { failing: boolean } {
  const counts = new Map<string, number>();
  const api = {
    handle: 'acme',
    failing: false,
    async incrementCounter(key: string) {
      if (api.failing) throw new Error('redis down');
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n;
    },
    postJson: noPosting,
    log: { info() {}, warn() {} },
  };
  return api;
}

describe('the example plugins of docs/plugins.md', () => {
  it('are valid manifests of their kind', () => {
    for (const m of [appInstall, utmSegment, subnetBurst, discord]) expect(manifestProblems(m), m.name).to.deep.equal([]);
    expect([appInstall, utmSegment, subnetBurst, discord].map((m) => m.kind)).to.deep.equal([
      'goal-type', 'tracking-preset', 'bot-detector', 'notification-channel',
    ]);
  });

  describe('utm-segment (tracking preset)', () => {
    const segment = (query: Record<string, string>, settings: object = { param: 'utm_campaign' }) =>
      utmSegment.segment!(click({ query }), settings as never);

    it('names the segment after utm_campaign, lower-cased, and keeps the device class without one', () => {
      expect(segment({ utm_campaign: 'Spring-Sale' })).to.equal('spring-sale');
      expect(segment({})).to.equal(undefined);
      expect(segment({ ref: 'x' }, { param: 'ref' })).to.equal('x');
    });

    it('folds values outside the allow list or unsafe as segment names into "other"', () => {
      expect(segment({ utm_campaign: 'summer' }, { param: 'utm_campaign', allow: ['spring'] })).to.equal('other');
      expect(segment({ utm_campaign: '<script>' })).to.equal('other');
    });
  });

  describe('subnet-burst (bot detector with counters)', () => {
    it('maps addresses to their /24 or /48 network', () => {
      expect(subnetOf('203.0.113.77')).to.equal('203.0.113.0/24');
      expect(subnetOf('2001:db8:abcd:12::1')).to.equal('2001:db8:abcd::/48');
      expect(subnetOf('::1')).to.equal('0:0:0::/48');
      expect(subnetOf('not-an-ip')).to.equal(null);
    });

    it('flags clicks beyond the limit from one network on one campaign, not other networks or campaigns', async () => {
      const api = memoryApi();
      const settings = { maxClicksPerMinute: 2 };
      const verdicts = [];
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) verdicts.push(await subnetBurst.inspect(click({ ip }), settings, api));
      expect(verdicts.map((v) => v.bot)).to.deep.equal([false, false, true]);
      expect(verdicts[2].reason).to.equal('subnet_burst:3/min');
      expect((await subnetBurst.inspect(click({ ip: '198.51.100.1' }), settings, api)).bot).to.equal(false);
      expect((await subnetBurst.inspect(click({ ip: '203.0.113.4', campaignId: 'partner-beta' }), settings, api)).bot).to.equal(false);
    });

    it('lets a click through unjudged when the counters are down', async () => {
      const api = memoryApi();
      api.failing = true;
      expect(await subnetBurst.inspect(click(), { maxClicksPerMinute: 1 }, api)).to.deep.equal({ bot: false });
    });
  });

  describe('discord (notification channel)', () => {
    const event = {
      id: 'evt-1', type: 'conversion.tested', createdAt: '2026-02-25T10:00:00Z', handle: 'acme',
      data: { campaignId: 'partner-alpha', value: 24.99, currency: 'USD', eventType: 'affiliate_click' },
    };
    const notification = (endpointUrl: string): OutgoingNotification => ({
      deliveryId: 'd-1', endpointUrl, body: JSON.stringify(event), secrets: ['whsec_x'], timeoutMs: 2000, event,
    });

    it('writes one readable line and defuses mentions', () => {
      expect(discordLine(event)).to.equal('conversion.tested · partner-alpha · 24.99 USD (affiliate\\_click)');
      expect(discordLine({ ...event, data: { campaignId: '@everyone' } })).to.equal('conversion.tested · @\u200beveryone');
    });

    it('posts to the endpoint and reports the outcome the notifications panel shows', async () => {
      const received: string[] = [];
      let status = 204;
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c)).on('end', () => {
          received.push(body);
          res.statusCode = status;
          res.end(status >= 400 ? 'nope' : undefined);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const guarded = guardedPluginApi(false);
      const dev = guardedPluginApi(true);
      try {
        // Issue 12 item 11: discord posts through PluginApi.postJson, so the operator's SSRF guard applies.
        for (const refused of [url, url.replace('http:', 'https:'), url.replace('http:', 'https:').replace('127.0.0.1', 'localhost')]) {
          expect(await discord.deliver(notification(refused), {}, guarded.api), refused).to.include({ ok: false, error: 'endpoint_not_allowed' });
        }
        expect(received).to.have.length(0);
        const ok = await discord.deliver(notification(url), { username: 'Acme' }, dev.api);
        expect(ok).to.include({ ok: true, statusCode: 204 });
        expect(JSON.parse(received[0])).to.deep.equal({ content: discordLine(event), username: 'Acme' });
        status = 500;
        expect(await discord.deliver(notification(url), {}, dev.api)).to.include({ ok: false, statusCode: 500, error: 'http_500', responseSnippet: 'nope' });
      } finally {
        server.close();
        await guarded.close();
        await dev.close();
      }
    });
  });
});
