import { expect } from 'chai';
import type { Campaign } from '../../core/campaigns/entities.ts';
import { LinkCache, type CompiledLink } from '../../core/redirect/link-cache.ts';

function row(slug: string, destinationUrl: string, status: Campaign['status'] = 'ACTIVE'): Campaign {
  return {
    handle: 'acme', campaignId: slug, goalType: 'AFFILIATE_CLICKOUT', status, trackingPreset: 'custom_webhook', conversionEvent: 'affiliate_click',
    slug, destinationUrl, linkTitle: null, routingRules: [], attributionWindowDays: 30, maxConversionValue: null, createdAt: new Date(), updatedAt: new Date(),
  };
}

const compile = (c: Campaign) => ({ key: `${c.handle}/${c.slug}`, live: c.status === 'ACTIVE', destinationUrl: c.destinationUrl }) as CompiledLink;

/** A cache over a fake table whose loads can be held open, to race them against invalidations. */
function cacheOver(table: Map<string, Campaign>, opts: { negativeTtlMs?: number; maxEntries?: number; maxMisses?: number } = {}) {
  let loads = 0;
  let gate: Promise<void> = Promise.resolve();
  const cache = new LinkCache({
    load: async (_handle, slug) => {
      loads++;
      await gate;
      return table.get(slug) ?? null;
    },
    compile,
    onError: () => {},
    ...opts,
  });
  return {
    cache,
    loads: () => loads,
    hold() {
      let release!: () => void;
      gate = new Promise((ok) => (release = ok));
      return () => {
        gate = Promise.resolve();
        release();
      };
    },
  };
}

describe('link cache', () => {
  it('loads a missing link once however many requests miss it at the same time', async () => {
    const t = cacheOver(new Map([['deal', row('deal', 'https://a.example.com')]]));
    const release = t.hold();
    const all = Promise.all(Array.from({ length: 50 }, () => t.cache.load('acme', 'deal')));
    release();
    const links = await all;
    expect(t.loads()).to.equal(1);
    expect(links.every((l) => l?.destinationUrl === 'https://a.example.com')).to.equal(true);
    expect(t.cache.peekLive('acme/deal')?.destinationUrl).to.equal('https://a.example.com');
    await t.cache.load('acme', 'deal');
    expect(t.loads()).to.equal(1); // warm: no second load
  });

  it('serves only live links on the warm path, but remembers paused ones', async () => {
    const t = cacheOver(new Map([['paused', row('paused', 'https://a.example.com', 'PAUSED')]]));
    expect((await t.cache.load('acme', 'paused'))?.live).to.equal(false);
    expect(t.cache.peekLive('acme/paused')).to.equal(undefined);
    await t.cache.load('acme', 'paused');
    expect(t.loads()).to.equal(1);
  });

  it('remembers unknown links briefly, and forgets them when a campaign with that slug appears', async () => {
    const table = new Map<string, Campaign>();
    const t = cacheOver(table, { negativeTtlMs: 60_000 });
    expect(await t.cache.load('acme', 'new')).to.equal(null);
    expect(await t.cache.load('acme', 'new')).to.equal(null);
    expect(t.loads()).to.equal(1);
    table.set('new', row('new', 'https://n.example.com'));
    t.cache.invalidate('acme', 'new');
    expect((await t.cache.load('acme', 'new'))?.destinationUrl).to.equal('https://n.example.com');
  });

  it('does not cache what a load read before an invalidation that happened during it', async () => {
    const table = new Map([['deal', row('deal', 'https://old.example.com')]]);
    const t = cacheOver(table);
    const release = t.hold();
    const stale = t.cache.load('acme', 'deal');
    table.set('deal', row('deal', 'https://new.example.com'));
    t.cache.invalidate('acme', 'deal');
    release();
    await stale;
    expect((await t.cache.load('acme', 'deal'))?.destinationUrl).to.equal('https://new.example.com');
  });

  it('reloads a changed link in the background so the warm path stays warm', async () => {
    const table = new Map([['deal', row('deal', 'https://old.example.com')]]);
    const t = cacheOver(table);
    await t.cache.load('acme', 'deal');
    table.set('deal', row('deal', 'https://new.example.com'));
    t.cache.invalidate('acme', 'deal');
    expect(t.cache.peekLive('acme/deal')).to.equal(undefined); // never the old destination
    await new Promise((r) => setImmediate(r));
    expect(t.cache.peekLive('acme/deal')?.destinationUrl).to.equal('https://new.example.com');
  });

  it('revalidates every link after invalidations may have been lost, serving the cached copy meanwhile', async () => {
    const table = new Map([['deal', row('deal', 'https://old.example.com')]]);
    const t = cacheOver(table);
    await t.cache.load('acme', 'deal');
    table.set('deal', row('deal', 'https://new.example.com'));
    t.cache.markAllStale();
    expect(t.cache.peekLive('acme/deal')?.destinationUrl).to.equal('https://old.example.com');
    await new Promise((r) => setImmediate(r));
    expect(t.cache.peekLive('acme/deal')?.destinationUrl).to.equal('https://new.example.com');
  });

  it('keeps unknown links apart: a scan of random slugs cannot evict live links, and costs bounded memory', async () => {
    const t = cacheOver(new Map([['deal', row('deal', 'https://m.example.com')], ['sale', row('sale', 'https://m.example.com/sale')]]), { maxEntries: 2, maxMisses: 10 });
    await t.cache.load('acme', 'deal');
    await t.cache.load('acme', 'sale');
    for (let i = 0; i < 500; i++) expect(await t.cache.load('acme', `random-${i}`)).to.equal(null);
    expect(t.cache.peekLive('acme/deal')?.destinationUrl).to.equal('https://m.example.com');
    expect(t.cache.peekLive('acme/sale')?.destinationUrl).to.equal('https://m.example.com/sale');
    expect(t.cache.size).to.equal(2);
    // The newest misses are remembered (no query), the oldest were let go (queried again).
    const loads = t.loads();
    await t.cache.load('acme', 'random-499');
    expect(t.loads()).to.equal(loads);
    await t.cache.load('acme', 'random-0');
    expect(t.loads()).to.equal(loads + 1);
  });
});
