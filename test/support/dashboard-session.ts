// One signed-in dashboard per test: a fresh browser context, the page's uncaught errors and console
// errors collected (a request the test provokes to fail on purpose logs "Failed to load resource",
// which `unexpectedConsole` lets through only for the statuses the test names).
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP_VIEWPORT, newContext, UI_WAIT } from './browser.ts';
import type { TestServer } from './server.ts';

export interface DashboardSession {
  page: Page;
  context: BrowserContext;
  pageErrors: string[];
  consoleErrors: string[];
  /** Console errors other than failed loads answered with one of `statuses`. */
  unexpectedConsole(statuses?: number[]): string[];
  close(): Promise<void>;
}

export async function openDashboard(browser: Browser, viewport = DESKTOP_VIEWPORT): Promise<DashboardSession> {
  // en-US: money assertions spell out its separators ("1,250.00 USD").
  const context = await newContext(browser, { viewport, locale: 'en-US' });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
  return {
    page,
    context,
    pageErrors,
    consoleErrors,
    unexpectedConsole: (statuses = []) =>
      consoleErrors.filter((m) => !statuses.some((s) => m.includes('Failed to load resource') && m.includes(`status of ${s}`))),
    close: () => context.close(),
  };
}

/**
 * One session per test, for the describe it is called in: returns `open()`, and registers the afterEach that
 * closes the last session opened and fails the test on an uncaught error in its page.
 */
export function sessionPerTest(browser: () => Browser) {
  let last: DashboardSession | null = null;
  afterEach(async () => {
    const s = last;
    last = null;
    await s?.close();
    expect(s?.pageErrors ?? [], 'uncaught errors in the page').to.deep.equal([]);
  });
  return async (viewport = DESKTOP_VIEWPORT) => (last = await openDashboard(browser(), viewport));
}

/** Signs in on the dashboard's own form and waits for the shell. */
export async function signIn(page: Page, server: TestServer, handle: string, token: string, hash = '') {
  await page.goto(`${server.url}/dashboard${hash}`);
  await page.fill('#signin-handle', handle);
  await page.fill('#signin-token', token);
  await page.click('#signin-submit');
  await page.waitForSelector('.layout', { timeout: UI_WAIT });
}

export async function waitForText(page: Page, selector: string, text: string) {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: UI_WAIT });
}

/** Opens a page from the sidebar as a person does: on a phone its links fold behind the menu button, opened first. */
export async function clickNav(page: Page, id: string) {
  if (await page.locator('#menu-toggle').isVisible()) await page.click('#menu-toggle');
  await page.click(`.nav-link[data-page="${id}"]`);
}

/** The pages the sidebar links to, in order. */
export const navPages = (page: Page) => page.locator('.nav-link').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.page));

/** Answers the confirmation dialog a click opened (confirm.js): its OK, or with `ok` false its Cancel; returns what it said. */
export async function answerDialog(page: Page, ok = true): Promise<string> {
  const dialog = page.locator('dialog.confirm');
  await dialog.waitFor({ timeout: UI_WAIT });
  const text = (await dialog.textContent()) ?? '';
  await dialog.locator(`[data-confirm="${ok ? 'ok' : 'cancel'}"]`).click();
  await dialog.waitFor({ state: 'detached', timeout: UI_WAIT });
  return text;
}

/** Where the focus is: the element's tag, its data-action, and the row holding it (that row's data-* ids). */
export const focused = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement as HTMLElement | null;
    const tr = a?.closest('tr') as HTMLElement | null;
    return { tag: a?.tagName ?? '', action: a?.dataset.action ?? null, row: tr ? { ...tr.dataset } : null };
  });
