import { expect } from 'chai';
import { pino } from 'pino';
import type { ActivePlugin, BotDetectorPlugin, BotVerdict, ClickFacts, HandlePlugins, PluginApi, PluginHost } from '../../core/plugins/index.ts';
import type { ClickBuffer } from '../../core/redirect/click-buffer.ts';
import { ClickRecorder, DETECTOR_DEADLINE_MS } from '../../core/redirect/click-recorder.ts';
import type { CompiledLink } from '../../core/redirect/link-cache.ts';

// The judgements waiting for an async detector are one list; an answered click leaves it by having the list's
// last entry moved into its place. Answers in any order, around clicks whose detector never answers, must leave
// every click stored exactly once: the answered ones with their verdict, the others at the deadline without.
describe('click recorder: async detector answers in any order, and the deadline', function () {
  this.timeout(10_000);

  it('stores each of 60 clicks once whatever order their detector answers in, and the unanswered ones at the deadline', async () => {
    const answers = new Map<string, (v: BotVerdict) => void>();
    const detector: ActivePlugin<BotDetectorPlugin> = {
      enabled: true,
      settings: {},
      manifest: {
        name: 'controlled', version: '1.0.0', kind: 'bot-detector', description: 'answers when the test says',
        inspect: (click) => new Promise<BotVerdict>((resolve) => answers.set(click.query.n, resolve)),
      } as BotDetectorPlugin,
    };
    const plugins = {
      handle: 'h', all: [detector], api: {} as PluginApi, botDetectors: [detector],
      goalType: () => undefined, trackingPreset: () => undefined, channel: () => undefined,
    } as HandlePlugins;
    const host = { peek: () => plugins, forHandle: async () => plugins } as unknown as PluginHost;
    const stored: { clickId: string; isBot: boolean; botReason: string | null }[] = [];
    const buffer = { push: (row: (typeof stored)[number]) => (stored.push(row), true) } as unknown as ClickBuffer;
    const recorder = new ClickRecorder({ pluginHost: host, buffer, log: pino({ level: 'silent' }), ipHashKey: 'k' });
    const link = { handle: 'h', campaignId: 'c', trackingPreset: 'none' } as CompiledLink;
    const facts = (n: number): ClickFacts => ({
      handle: 'h', campaignId: 'c', slug: 's', ip: '', userAgent: 'ua', headers: {}, source: 'direct', referrerHost: null,
      country: 'ZZ', device: 'desktop', languages: [], query: { n: String(n) }, occurredAt: new Date(),
    });

    const started = Date.now();
    for (let n = 0; n < 60; n++) recorder.record(link, facts(n), `click-${n}`, 'https://example.com/');
    expect(recorder.inProgress).to.equal(60);
    // Every fourth click never gets an answer; the others answer in a scrambled order (37 is prime to 60), some
    // flagged, a few at a time with turns of the event loop between, so entries leave from anywhere in the list.
    const order = Array.from({ length: 60 }, (_, i) => (i * 37) % 60).filter((n) => n % 4 !== 0);
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      answers.get(String(n))!(n % 5 === 0 ? { bot: true, reason: `flag-${n}` } : { bot: false });
      if (i % 7 === 6) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
    expect(stored.map((r) => r.clickId).sort()).to.deep.equal(order.map((n) => `click-${n}`).sort());
    expect(stored.filter((r) => r.isBot).map((r) => r.botReason).sort()).to.deep.equal(order.filter((n) => n % 5 === 0).map((n) => `flag-${n}`).sort());
    expect(recorder.inProgress).to.equal(15);

    await recorder.drain();
    expect(Date.now() - started).to.be.at.least(DETECTOR_DEADLINE_MS * 0.75 - 50);
    const ids = stored.map((r) => r.clickId);
    expect(new Set(ids).size).to.equal(60);
    expect(ids.slice(45).sort()).to.deep.equal(Array.from({ length: 15 }, (_, i) => `click-${i * 4}`).sort());
    expect(stored.slice(45).every((r) => !r.isBot)).to.equal(true);
    // An answer after the deadline changes nothing.
    answers.get('0')!({ bot: true, reason: 'too late' });
    await new Promise((r) => setImmediate(r));
    expect(stored).to.have.length(60);
  });
});
