import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { insertTraffic } from '../support/analytics-fixtures.ts';
import { browserSuite } from '../support/browser-suite.ts';
import { chartLayout, clippedInWrap, cutOffCells, DESKTOP_VIEWPORT, lastColumnReachable, newContext, PHONE_VIEWPORT, shot, UI_WAIT } from '../support/browser.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { storedClicks } from '../support/redirect.ts';
import { createHandle } from '../support/server.ts';
import { waitForText } from '../support/dashboard-session.ts';

// The dashboard's analytics (issue 16) in Debian's Chromium: date ranges kept in the URL, the
// hourly view of the last 24 hours, every currency in the breakdowns, browser and OS breakdowns,
// and tables that scroll in their own box at 375 px. Screenshots: test/artifacts/analytics-*.png.

const DAY = 86_400_000;
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);
const daysBetween = (a: number, b: number) => Math.round((Date.parse(isoDay(b)) - Date.parse(isoDay(a))) / DAY);

describe('dashboard analytics in a real browser: ranges, hourly view, currencies, phone width', function () {
  this.timeout(90_000);
  const suite = browserSuite();
  let tenant: Awaited<ReturnType<typeof createHandle>>;
  let context: BrowserContext | null = null;
  let pageErrors: string[] = [];
  const OLD = Date.now() - 400 * DAY; // all time starts here
  const MONTH_AGO = Date.now() - 40 * DAY;
  const api = (path: string) => suite.server.http.get(`/v2/handles/${tenant.handle}${path}`).set(tenant.auth).expect(200);

  before(async function () {
    tenant = await createHandle(suite.server, undefined, { name: 'Acme Partner Network' });
    await createPartner(suite.server, tenant, 'alpha', { name: 'Alpha Media' });
    for (const [campaignId, partnerId] of [['recent-alpha', 'alpha'], ['old-beta', undefined]] as const) {
      await suite.server.http.post(`/v2/handles/${tenant.handle}/campaigns`).set(tenant.auth).send({
        campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', ...(partnerId && { partnerId }),
        primaryLink: { slug: campaignId, destinationUrl: `https://merchant.example.com/p?ref=${campaignId}`, title: `${campaignId} deal` },
      }).expect(201);
    }
    // History the redirect cannot make: 400 and 40 days ago, written as the flusher writes rollups.
    await insertTraffic(suite.server.sql, tenant.handle, [
      { campaignId: 'old-beta', at: new Date(OLD), country: 'JP', conversions: [{ value: 30, currency: 'EUR' }] },
      { campaignId: 'old-beta', at: new Date(OLD + 60_000), country: 'JP' },
      { campaignId: 'old-beta', at: new Date(MONTH_AGO), country: 'BR', conversions: [{ value: 12, currency: 'USD' }] },
      { campaignId: 'old-beta', at: new Date(MONTH_AGO + 60_000), country: 'BR' },
      { campaignId: 'old-beta', at: new Date(MONTH_AGO + 120_000), country: 'BR', isBot: true },
    ]);
    // Today, through the short link: 5 clicks (one a bot) and two conversions in two currencies.
    const us1 = await click('recent-alpha', { 'cf-ipcountry': 'US' }, '?sub1=newsletter');
    await click('recent-alpha', { 'cf-ipcountry': 'US' }, '?sub1=newsletter');
    await click('recent-alpha', { 'cf-ipcountry': 'US' });
    const de = await click('recent-alpha', { 'cf-ipcountry': 'DE', 'user-agent': IPHONE });
    await click('recent-alpha', { 'cf-ipcountry': 'FR', 'user-agent': BOT });
    // A conversion takes its country and sub-IDs from its click's row, which under load can still be buffered past the
    // conversion's wait for it: the 5 history rows and the 5 live ones are stored first.
    await storedClicks(suite.server, tenant.handle, 10, 15_000);
    await convert(us1, 'alpha-usd', 25, 'USD');
    await convert(de, 'alpha-eur', 40, 'EUR');
    await waitFor(async () => (await api('/analytics?funnel=true')).body.totals.clicks === 10, 'the 5 live clicks in analytics');
  });
  afterEach(async () => {
    await context?.close();
    context = null;
    expect(pageErrors, 'uncaught errors in the page').to.deep.equal([]);
  });

  async function click(slug: string, headers: Record<string, string> = {}, query = '') {
    const res = await fetch(`${suite.server.url}/${tenant.handle}/${slug}${query}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP, ...headers } });
    expect(res.status).to.equal(302);
    return new URL(res.headers.get('location')!).searchParams.get('ctx')!;
  }

  async function convert(ctx: string, key: string, value: number, currency: string) {
    await suite.server.http.post('/v2/public/conversions').set(tenant.auth).send({ ctx, eventType: 'affiliate_click', value, currency, idempotencyKey: key }).expect(201);
  }

  async function openPage(viewport = DESKTOP_VIEWPORT): Promise<Page> {
    context = await newContext(suite.browser, { viewport, locale: 'en-US' });
    const page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    return page;
  }

  async function signIn(page: Page, hash: string, token = tenant.ownerToken) {
    await page.goto(`${suite.server.url}/dashboard${hash}`);
    await page.fill('#signin-handle', tenant.handle);
    await page.fill('#signin-token', token);
    await page.click('#signin-submit');
    await page.waitForSelector('.layout', { timeout: UI_WAIT });
  }

  const cell = (page: Page, campaignId: string, col: string) => page.locator(`#funnel-table tr[data-campaign-id="${campaignId}"] [data-col="${col}"]`);
  const hash = (page: Page) => new URL(page.url()).hash;
  const pressed = (page: Page) => page.locator('#range-picker [aria-pressed="true"]').getAttribute('data-range');

  async function waitForChart(page: Page, grain: string, buckets: number) {
    await page.locator(`#funnel-chart svg.chart[data-grain="${grain}"][data-buckets="${buckets}"]`).waitFor({ timeout: UI_WAIT });
  }

  async function waitForCell(page: Page, campaignId: string, col: string, text: string) {
    await page.locator(`#funnel-table tr[data-campaign-id="${campaignId}"] [data-col="${col}"]`, { hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: UI_WAIT });
  }

  it('funnel: all time plots its whole span by day; 7 d, 24 h (by hour) and custom days change the chart and the table; a reload and a shared link keep the range', async () => {
    const page = await openPage();
    await signIn(page, '#/funnel');
    await waitForCell(page, 'old-beta', 'clicks', '5');
    expect(await pressed(page)).to.equal('all');
    // All time: from the first click 400 days ago to today, one bar a day (it used to be 30 days).
    await waitForChart(page, 'day', daysBetween(OLD, Date.now()) + 1);
    expect(await page.locator('#funnel-chart-title').textContent()).to.include('all time');
    await shot(page, 'analytics-01-funnel-all-time');

    await page.click('#range-picker [data-range="7d"]');
    await waitForCell(page, 'old-beta', 'clicks', '0');
    expect(hash(page)).to.equal('#/funnel?range=7d');
    expect(await cell(page, 'recent-alpha', 'clicks').textContent()).to.equal('5');
    await waitForChart(page, 'day', 7);

    await page.click('#range-picker [data-range="24h"]');
    expect(hash(page)).to.equal('#/funnel?range=24h');
    await waitForChart(page, 'hour', 24);
    // The bars with clicks are exactly the API's hours with clicks.
    const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 23 * 3_600_000).toISOString();
    const hours = (await api(`/analytics?groupBy=hour&from=${from}`)).body.data.map((r: { key: string }) => r.key);
    expect(hours).to.have.length.above(0);
    const barred = await page.locator('#funnel-chart g.day').evaluateAll((gs) =>
      gs.filter((g) => Number(g.querySelector('rect.bar-clicks')!.getAttribute('height')) > 0).map((g) => g.getAttribute('data-key')));
    expect(barred).to.deep.equal(hours);
    expect(await page.locator('#funnel-chart text.axis-x').last().textContent()).to.match(/^\d\d:00$/);
    // 1280 pixels wide the whole table fits its card (the last header was cut to "LAST CLIC").
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await clippedInWrap(page, '#funnel-table')).to.deep.equal({ overflow: 0, clipped: [] });
    await page.setViewportSize(DESKTOP_VIEWPORT);
    // Confidence with its reasons and the bot ratio stay in view.
    expect(await cell(page, 'recent-alpha', 'botRatio').textContent()).to.equal('20%');
    expect(await cell(page, 'recent-alpha', 'confidence').locator('.reasons li').allTextContents()).to.include('Fewer than 30 clicks: too little data (−10)');
    expect(await cell(page, 'recent-alpha', 'revenue').locator('div').allTextContents()).to.deep.equal(['25.00 USD', '+ 40.00 EUR']);
    await shot(page, 'analytics-02-funnel-24h');

    await page.reload();
    await page.locator('#range-picker [data-range="24h"][aria-pressed="true"]').waitFor({ timeout: UI_WAIT });
    await waitForChart(page, 'hour', 24);
    await waitForCell(page, 'old-beta', 'clicks', '0');

    // Custom days around the clicks of 40 days ago; a start after the end is refused in place.
    await page.click('#range-picker [data-range="custom"]');
    await page.fill('#range-from', isoDay(MONTH_AGO + DAY));
    await page.fill('#range-to', isoDay(MONTH_AGO - DAY));
    await page.click('#range-apply');
    await page.locator('#range-error', { hasText: 'must not be after' }).waitFor({ timeout: UI_WAIT });
    expect(hash(page)).to.equal('#/funnel?range=24h');
    await page.fill('#range-from', isoDay(MONTH_AGO - DAY));
    await page.fill('#range-to', isoDay(MONTH_AGO + DAY));
    await page.click('#range-apply');
    await waitForCell(page, 'old-beta', 'clicks', '3');
    const customHash = `#/funnel?from=${isoDay(MONTH_AGO - DAY)}&to=${isoDay(MONTH_AGO + DAY)}`;
    expect(hash(page)).to.equal(customHash);
    expect(await cell(page, 'recent-alpha', 'clicks').textContent()).to.equal('0');
    expect(await cell(page, 'old-beta', 'botRatio').textContent()).to.equal('33.3%');
    expect(await cell(page, 'old-beta', 'revenue').locator('div').allTextContents()).to.deep.equal(['12.00 USD']);
    await waitForChart(page, 'day', 3);
    expect(await page.locator('#range-summary').textContent()).to.include(`${isoDay(MONTH_AGO - DAY)} 00:00 → ${isoDay(MONTH_AGO + 2 * DAY)} 00:00`);
    await shot(page, 'analytics-03-funnel-custom');

    // The link, opened by someone else who signs in, shows the same range.
    await context!.close();
    const shared = await openPage();
    await signIn(shared, customHash);
    await waitForCell(shared, 'old-beta', 'clicks', '3');
    expect(await pressed(shared)).to.equal('custom');
    expect(await shared.inputValue('#range-from')).to.equal(isoDay(MONTH_AGO - DAY));
  });

  it("funnel: one partner's view (partnerId), its campaigns only, its totals and chart, kept in the URL with the range", async () => {
    const page = await openPage();
    await signIn(page, '#/funnel?range=7d');
    await waitForCell(page, 'recent-alpha', 'clicks', '5');
    await page.locator('#funnel-partner option[value="alpha"]').waitFor({ state: 'attached', timeout: UI_WAIT });
    await page.selectOption('#funnel-partner', 'alpha');
    await page.locator('#funnel-table tr[data-campaign-id="old-beta"]').waitFor({ state: 'detached', timeout: UI_WAIT });
    expect(hash(page)).to.equal('#/funnel?range=7d&partnerId=alpha');
    const seven = new Date(Date.parse(new Date().toISOString().slice(0, 10)) - 6 * DAY).toISOString();
    const { body } = await api(`/analytics?funnel=true&partnerId=alpha&from=${seven}`);
    expect(body.data.map((r: { campaignId: string }) => r.campaignId)).to.deep.equal(['recent-alpha']);
    await page.locator('#funnel-totals [data-stat="clicks"] .stat-value', { hasText: new RegExp(`^${body.totals.clicks}$`) }).waitFor({ timeout: UI_WAIT });
    // The other range pages' links carry the range, not the partner.
    expect(await page.getAttribute('.nav-link[data-page="breakdowns"]', 'href')).to.equal('#/breakdowns?range=7d');
    await page.reload();
    await waitForCell(page, 'recent-alpha', 'clicks', '5');
    expect(await page.inputValue('#funnel-partner')).to.equal('alpha');
    expect(await page.locator('#funnel-table tr[data-campaign-id="old-beta"]').count()).to.equal(0);
    await shot(page, 'analytics-partner-filter');
  });

  it('breakdowns: keep the range from the funnel page, honour it in every table, and show every currency', async () => {
    const page = await openPage();
    await signIn(page, '#/funnel?range=7d');
    await waitForCell(page, 'recent-alpha', 'clicks', '5');
    await page.click('.nav-link[data-page="breakdowns"]');
    await page.locator('#breakdown-country tr[data-key="DE"]').waitFor({ timeout: UI_WAIT });
    expect(hash(page)).to.equal('#/breakdowns?range=7d');
    expect(await pressed(page)).to.equal('7d');
    const keys = (dim: string) => page.locator(`#breakdown-${dim} tbody tr[data-key]`).evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.key));
    expect(await keys('country')).to.deep.equal(['US', 'DE', 'FR']);
    expect(await page.locator('#breakdown-country tr[data-key="DE"] [data-col="revenue"] div').allTextContents()).to.deep.equal(['0.00 USD', '+ 40.00 EUR']);

    await page.click('#range-picker [data-range="all"]');
    await page.locator('#breakdown-country tr[data-key="JP"]').waitFor({ timeout: UI_WAIT });
    expect(hash(page)).to.equal('#/breakdowns');
    expect(await keys('country')).to.deep.equal(['BR', 'US', 'JP', 'DE', 'FR']); // by clicks, ties by key
    expect(await page.locator('#breakdown-country tr[data-key="JP"] [data-col="revenue"] div').allTextContents()).to.deep.equal(['0.00 USD', '+ 30.00 EUR']);
    expect(await page.locator('#breakdown-country tr[data-key="BR"] [data-col="revenue"] div').allTextContents()).to.deep.equal(['12.00 USD']);

    // Browser and OS: tables once the API has groupBy=browser|os (the rollups branch), until then a note, never an error.
    for (const dim of ['browser', 'os']) {
      const res = await suite.server.http.get(`/v2/handles/${tenant.handle}/analytics?groupBy=${dim}`).set(tenant.auth);
      if (res.status === 400) {
        await page.locator(`[data-dimension="${dim}"] [data-unsupported="${dim}"]`).waitFor({ timeout: UI_WAIT });
      } else {
        expect(res.status).to.equal(200);
        await page.locator(`#breakdown-${dim} tbody tr[data-key]`).first().waitFor({ timeout: UI_WAIT });
      }
      expect(await page.locator(`[data-dimension="${dim}"] .alert-error`).count()).to.equal(0);
    }
    await shot(page, 'analytics-04-breakdowns-all-time');
  });

  it('browser and OS cards draw the rows groupBy=browser|os answer (only those two answers stubbed in the browser, until the API has them)', async () => {
    const page = await openPage();
    const asked: string[] = [];
    const rows = {
      browser: [{ key: 'Chrome', clicks: 3, qualifiedClicks: 3, conversions: 1, revenue: 25, revenueByCurrency: { USD: 25 } },
        { key: 'Mobile Safari', clicks: 1, qualifiedClicks: 1, conversions: 1, revenue: 0, revenueByCurrency: { EUR: 40 } }],
      os: [{ key: 'Windows', clicks: 3, qualifiedClicks: 3, conversions: 1, revenue: 25, revenueByCurrency: { USD: 25 } },
        { key: 'iOS', clicks: 1, qualifiedClicks: 1, conversions: 1, revenue: 0, revenueByCurrency: { EUR: 40 } }],
    };
    await page.route(/\/analytics\?.*groupBy=(browser|os)/, (route) => {
      const url = new URL(route.request().url());
      asked.push(url.search);
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ data: rows[url.searchParams.get('groupBy') as 'browser' | 'os'] }) });
    });
    await signIn(page, '#/breakdowns?range=7d');
    await page.locator('#breakdown-browser tr[data-key="Mobile Safari"]').waitFor({ timeout: UI_WAIT });
    await page.locator('#breakdown-os tr[data-key="iOS"]').waitFor({ timeout: UI_WAIT });
    expect(await page.locator('#breakdown-browser tr[data-key="Mobile Safari"] [data-col="revenue"] div').allTextContents()).to.deep.equal(['0.00 USD', '+ 40.00 EUR']);
    expect(await page.locator('#breakdown-os tbody tr[data-key]').evaluateAll((trs) => trs.map((r) => (r as HTMLElement).dataset.key))).to.deep.equal(['Windows', 'iOS']);
    // Asked with the page's range, like every other breakdown.
    expect(asked).to.have.length(2);
    for (const q of asked) expect(new URLSearchParams(q).get('from')).to.equal(new Date(Date.parse(isoDay(Date.now())) - 6 * DAY).toISOString());
    await shot(page, 'analytics-05a-breakdowns-browser-os-stubbed');
  });

  describe('breakdowns by browser and OS', () => {
    it('shows browser and OS tables with bots, conversions and every currency, over the chosen range', async () => {
      const page = await openPage();
      await signIn(page, '#/breakdowns?range=7d');
      const rows = (dim: string) => page.locator(`#breakdown-${dim} tbody tr[data-key]`);
      await rows('browser').first().waitFor({ timeout: UI_WAIT });
      await rows('os').first().waitFor({ timeout: UI_WAIT });
      const keys = async (dim: string) => (await rows(dim).evaluateAll((trs) => trs.map((r) => (r as HTMLElement).dataset.key))).join(' ');
      expect(await keys('browser')).to.match(/chrome/i).and.match(/safari/i);
      expect(await keys('os')).to.match(/windows/i).and.match(/ios/i);
      // The iPhone click converted in EUR: its browser and OS rows list it beside USD.
      const safari = page.locator('#breakdown-browser tbody tr', { hasText: /safari/i }).first();
      expect(await safari.locator('[data-col="revenue"] div').allTextContents()).to.include('+ 40.00 EUR');
      const ios = page.locator('#breakdown-os tbody tr', { hasText: /ios/i }).first();
      expect(await ios.locator('[data-col="revenue"] div').allTextContents()).to.include('+ 40.00 EUR');
      const total = async (dim: string) => (await rows(dim).evaluateAll((trs) => trs.map((r) => Number(r.querySelector('td.num')!.textContent)))).reduce((a, b) => a + b, 0);
      expect(await total('browser'), 'browser rows add up to the 5 clicks of the last 7 days').to.equal(5);
      expect(await total('os')).to.equal(5);
      await shot(page, 'analytics-05-breakdowns-browser-os');
    });
  });

  it('phone width (375×812): the funnel and breakdown tables scroll in their own box; no cell is cut off, the page never scrolls sideways', async () => {
    const page = await openPage(PHONE_VIEWPORT);
    await signIn(page, '#/funnel?range=24h');
    await waitForCell(page, 'recent-alpha', 'clicks', '5');
    await waitForChart(page, 'hour', 24);
    const funnel = await cutOffCells(page);
    expect(funnel.tableCells).to.be.above(20);
    expect(funnel.cells, 'cells outside the viewport without a scroll container').to.deep.equal([]);
    expect(funnel.pageOverflow, 'page-wide horizontal scroll').to.be.at.most(0);
    expect(funnel.scrollers, 'the funnel table is wider than a phone: it scrolls in its own box').to.be.at.least(1);
    expect(await lastColumnReachable(page, '#funnel-table'), 'the last column can be scrolled into view').to.equal(true);
    // The confidence column (reasons) and the bot ratio are in that table, one swipe away.
    expect(await cell(page, 'recent-alpha', 'confidence').locator('.reasons li').count()).to.be.above(0);
    // The chart fits the phone: both axes, whole hour labels, 11-pixel text.
    const hourly = await chartLayout(page);
    expect([hourly.axisCut, hourly.xCut]).to.deep.equal([[], []]);
    expect(hourly.xShown.length).to.be.at.least(3);
    expect(hourly.textPx).to.be.at.least(10);
    await shot(page, 'analytics-06-funnel-phone');

    // All time (400 days) is too many bars for a phone: the chart scrolls, its axes stay in view.
    await page.click('#range-picker [data-range="all"]');
    await waitForChart(page, 'day', daysBetween(OLD, Date.now()) + 1);
    const long = await chartLayout(page);
    expect(long.axisCut, 'axis labels of the scrolling chart').to.deep.equal([]);
    expect(long.xShown.length).to.be.at.least(2);
    expect(long.textPx).to.be.at.least(10);
    await shot(page, 'analytics-06b-funnel-phone-all-time');

    // The pages fold behind a menu button naming the page (unfolded, 13 links took the screen's top half).
    expect(await page.locator('.nav').isVisible()).to.equal(false);
    expect((await page.locator('.sidebar').boundingBox())!.height, 'the folded sidebar').to.be.below(160);
    expect(await page.locator('#menu-toggle').innerText()).to.contain('Funnel');
    await page.click('#menu-toggle');
    expect(await page.getAttribute('#menu-toggle', 'aria-expanded')).to.equal('true');
    await shot(page, 'analytics-06c-menu-phone');
    // Escape folds it, from its button or from a link in it, and the focus is the button's again (a pass pressed it in vain).
    await page.keyboard.press('Escape');
    expect([await page.getAttribute('#menu-toggle', 'aria-expanded'), await page.locator('.nav').isVisible()]).to.deep.equal(['false', false]);
    await page.click('#menu-toggle');
    await page.focus('.nav-link[data-page="breakdowns"]');
    await page.keyboard.press('Escape');
    expect(await page.locator('.nav').isVisible(), 'Escape from a link folds the menu').to.equal(false);
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('menu-toggle');
    await page.click('#menu-toggle');
    // The page already shown, chosen again: the list folds all the same (a pass found it left open).
    await page.click('.nav-link[data-page="funnel"]');
    expect(await page.locator('.nav').isVisible(), 'choosing the current page folds the menu').to.equal(false);
    expect(await page.getAttribute('#menu-toggle', 'aria-expanded')).to.equal('false');
    await page.click('#menu-toggle');
    await page.click('.nav-link[data-page="breakdowns"]');
    await waitForText(page, '#menu-toggle', 'Breakdowns');
    expect(await page.locator('.nav').isVisible(), 'choosing a page folds the menu').to.equal(false);
    await page.locator('#breakdown-country tr[data-key="DE"]').waitFor({ timeout: UI_WAIT });
    await page.waitForFunction(() => document.querySelectorAll('[data-dimension] .breakdown-body p.muted.small:not(.unsupported)').length === 0, null, { timeout: UI_WAIT });
    const breakdowns = await cutOffCells(page);
    expect(breakdowns.cells, 'cells outside the viewport without a scroll container').to.deep.equal([]);
    expect(breakdowns.pageOverflow).to.be.at.most(0);
    expect(await lastColumnReachable(page, '#breakdown-country')).to.equal(true);
    await shot(page, 'analytics-07-breakdowns-phone');
  });

  it('partner portal: the live funnel and the sub-IDs take the same ranges (24 h by hour) over the partner\'s own campaigns', async () => {
    const { token } = await partnerToken(suite.server, tenant, 'alpha');
    const page = await openPage();
    await signIn(page, '#/live?range=24h', token);
    await waitForCell(page, 'recent-alpha', 'clicks', '5');
    await waitForChart(page, 'hour', 24);
    expect(await page.locator('#funnel-table tr[data-campaign-id="old-beta"]').count()).to.equal(0);
    // Its extra commission column too fits at 1280 pixels.
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await clippedInWrap(page, '#funnel-table')).to.deep.equal({ overflow: 0, clipped: [] });
    await shot(page, 'analytics-08-portal-live-24h');

    await page.click('.nav-link[data-page="subids"]');
    await page.locator('#breakdown-subid tr[data-key="newsletter"]').waitFor({ timeout: UI_WAIT });
    expect(hash(page)).to.equal('#/subids?range=24h');
    // 40 days ago the partner had no clicks: the sub-ID table follows the range.
    await page.click('#range-picker [data-range="custom"]');
    await page.fill('#range-from', isoDay(MONTH_AGO - DAY));
    await page.fill('#range-to', isoDay(MONTH_AGO + DAY));
    await page.click('#range-apply');
    await page.locator('#breakdown-subid tr.empty').waitFor({ timeout: UI_WAIT });
    await page.setViewportSize(PHONE_VIEWPORT);
    await page.click('#range-picker [data-range="24h"]');
    await page.locator('#breakdown-subid tr[data-key="newsletter"]').waitFor({ timeout: UI_WAIT });
    const phone = await cutOffCells(page);
    expect(phone.cells).to.deep.equal([]);
    expect(phone.pageOverflow).to.be.at.most(0);
    await shot(page, 'analytics-09-portal-subids-phone');
  });

  it("breakdowns: one partner's, kept in the URL with the range (the filter was only on the Funnel)", async () => {
    const page = await openPage();
    await signIn(page, '#/breakdowns');
    await page.locator('#breakdown-country tr[data-key="JP"]').waitFor({ timeout: UI_WAIT });
    await page.locator('#breakdown-partner option[value="alpha"]').waitFor({ state: 'attached', timeout: UI_WAIT });
    await page.selectOption('#breakdown-partner', 'alpha');
    // alpha's campaign only: its visitors (US, DE, FR), not the unassigned campaign's (JP, BR).
    await page.locator('#breakdown-country tr[data-key="JP"]').waitFor({ state: 'detached', timeout: UI_WAIT });
    await page.locator('#breakdown-country tr[data-key="US"]').waitFor({ timeout: UI_WAIT });
    const keys = await page.locator('#breakdown-country tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.key));
    expect(keys).to.have.members(['US', 'DE', 'FR']);
    expect(hash(page)).to.equal('#/breakdowns?partnerId=alpha');
    await page.reload();
    await page.locator('#breakdown-country tr[data-key="US"]').waitFor({ timeout: UI_WAIT });
    expect(await page.inputValue('#breakdown-partner')).to.equal('alpha');
    expect(await page.locator('#breakdown-country tr[data-key="JP"]').count()).to.equal(0);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = UI_WAIT) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
