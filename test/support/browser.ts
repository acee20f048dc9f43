// Browser-test helpers: Debian's Chromium (its headless shell) through playwright-core, screenshots under
// test/artifacts/, and the phone-width check that no table cell is cut off.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_PACKAGE } from './chromium-path.ts';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
export const UI_WAIT = 10_000;
export const DESKTOP_VIEWPORT = { width: 1360, height: 900 };
export const PHONE_VIEWPORT = { width: 375, height: 812 };

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: npm test installs it (scripts/pretest.ts), or apt-get install -y ${CHROMIUM_PACKAGE}.`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * A fresh browser session. Reduced motion unless a test asks otherwise: the dashboard then stops its CSS animations
 * (app.css), and the funnel's pulsing live dot alone kept Chromium repainting at ~120 ms of CPU a second while a test
 * looked at the page, with the suite CPU-bound and Chromium its largest user.
 */
export const newContext = (browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> =>
  browser.newContext({ reducedMotion: 'reduce', ...options });

export const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

/** Narrows the page to a phone, keeps a screenshot named `name`, and answers [cut-off cells, page overflow in px]. */
export async function atPhoneWidth(page: Page, name: string): Promise<[CutOffCell[], number]> {
  await page.setViewportSize(PHONE_VIEWPORT);
  await shot(page, name);
  const phone = await cutOffCells(page);
  return [phone.cells, phone.pageOverflow];
}

export interface CutOffCell {
  table: string;
  text: string;
  left: number;
  right: number;
}

/**
 * Every table cell (th, td) that reaches outside the viewport's width without a horizontal scroll
 * container (overflow-x auto or scroll, itself inside the viewport) to bring it into view; plus
 * how far the page itself scrolls sideways. Measured with getBoundingClientRect.
 */
export function cutOffCells(page: Page): Promise<{ cells: CutOffCell[]; pageOverflow: number; scrollers: number; tableCells: number }> {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const scrollerOf = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if ((ox === 'auto' || ox === 'scroll') && a.scrollWidth > a.clientWidth) return a;
      }
      return null;
    };
    const cells: CutOffCell[] = [];
    const scrollers = new Set<Element>();
    const all = [...document.querySelectorAll('table th, table td')];
    for (const cell of all) {
      const r = cell.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (hidden section)
      if (r.left >= -0.5 && r.right <= vw + 0.5) continue;
      const scroller = scrollerOf(cell);
      const box = scroller?.getBoundingClientRect();
      if (scroller && box && box.left >= -0.5 && box.right <= vw + 0.5) {
        scrollers.add(scroller);
        continue;
      }
      cells.push({ table: cell.closest('table')?.id ?? '', text: (cell.textContent ?? '').trim().slice(0, 40), left: Math.round(r.left), right: Math.round(r.right) });
    }
    return { cells, pageOverflow: document.documentElement.scrollWidth - vw, scrollers: scrollers.size, tableCells: all.length };
  });
}

/** Scrolls a table's own container to its end and says whether its last header cell is then in view. */
export function lastColumnReachable(page: Page, tableSelector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const table = document.querySelector(sel);
    const wrap = table?.closest('.table-wrap') as HTMLElement | null;
    if (!table || !wrap) return false;
    wrap.scrollLeft = wrap.scrollWidth;
    const last = table.querySelector('thead th:last-child')!.getBoundingClientRect();
    const ok = last.right <= document.documentElement.clientWidth + 0.5 && last.left >= 0;
    wrap.scrollLeft = 0;
    return ok;
  }, tableSelector);
}

/**
 * Scrolls a table's own container to its end and lists the buttons of its rows then partly behind the row's first cell
 * (held in view on a phone while the rest scrolls under it): a button there cannot be pressed whole.
 */
export function buttonsUnderFirstColumn(page: Page, tableSelector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const table = document.querySelector(sel);
    const wrap = table?.closest('.table-wrap') as HTMLElement | null;
    if (!table || !wrap) return [`no ${sel} in a .table-wrap`];
    wrap.scrollLeft = wrap.scrollWidth;
    const under: string[] = [];
    for (const row of table.querySelectorAll('tbody tr')) {
      const first = row.querySelector('td:first-child');
      if (!first) continue;
      const edge = first.getBoundingClientRect().right;
      for (const button of row.querySelectorAll('td:not(:first-child) button')) {
        const r = button.getBoundingClientRect();
        if (r.width > 0 && r.left < edge - 0.5) under.push(`"${(button.textContent ?? '').trim()}" from ${Math.round(r.left)} < ${Math.round(edge)}`);
      }
    }
    wrap.scrollLeft = 0;
    return under;
  }, tableSelector);
}

/**
 * The texts of the elements `selector` finds that the page lays out over more than one line: a short id, amount or day
 * that should read whole (a dashboard pass at 1280 pixels found "sub1=newslett" over "er-dec", "Dec 7," over "2026").
 * Counts the distinct tops of the text's line boxes.
 */
export function wrappedTexts(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)].filter((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size > 1;
  }).map((el) => (el.textContent ?? '').trim()), selector);
}

/**
 * At the page's width, what a table's .table-wrap cuts off: how much wider the table is than the
 * wrap (it would scroll), and every header, cell or button reaching past the wrap's visible box.
 */
export function clippedInWrap(page: Page, tableSelector: string): Promise<{ overflow: number; clipped: string[] }> {
  return page.evaluate((sel) => {
    const table = document.querySelector(sel);
    const wrap = table?.closest('.table-wrap') as HTMLElement | null;
    if (!table || !wrap) return { overflow: Number.NaN, clipped: [`no ${sel} in a .table-wrap`] };
    const box = wrap.getBoundingClientRect();
    const clipped = [...table.querySelectorAll('th, td, button')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5);
    }).map((el) => `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(el.getBoundingClientRect().right)} > ${Math.round(box.right)}`);
    return { overflow: wrap.scrollWidth - wrap.clientWidth, clipped };
  }, tableSelector);
}

/**
 * How a time-series chart reads where it is drawn: the y-axis labels cut by the chart's visible box,
 * the x-axis labels that box shows only in part, the axis text's rendered height in pixels, and where
 * each bar with clicks sits across the box (0 its left edge, 1 its right one).
 */
export function chartLayout(page: Page, selector = '#funnel-chart'): Promise<{ axisCut: string[]; xCut: string[]; xShown: string[]; textPx: number; bars: number[] }> {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel)!;
    const box = root.querySelector('.chart-scroll')!.getBoundingClientRect();
    const whole = (r: DOMRect) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
    const texts = (q: string) => [...root.querySelectorAll(q)].map((t) => ({ text: t.textContent ?? '', r: t.getBoundingClientRect() }));
    const axis = texts('text.axis-clicks, text.axis-conv');
    const x = texts('text.axis-x').filter(({ r }) => r.right > box.left && r.left < box.right);
    const bars = [...root.querySelectorAll('rect.bar-clicks')].filter((b) => Number(b.getAttribute('height')) > 0).map((b) => {
      const r = b.getBoundingClientRect();
      return Math.round(((r.left + r.width / 2 - box.left) / box.width) * 100) / 100;
    });
    return {
      axisCut: axis.filter(({ r }) => !whole(r)).map(({ text }) => text),
      xCut: x.filter(({ r }) => !whole(r)).map(({ text }) => text),
      xShown: x.filter(({ r }) => whole(r)).map(({ text }) => text),
      // 0 when no axis text is drawn at all, so "at least 10 px" cannot pass on a chart without axes.
      textPx: axis.length ? Math.min(...axis.map(({ r }) => r.height)) : 0,
      bars,
    };
  }, selector);
}
