// A test server plus a Chromium for the browser tests of one describe(): what each of them started in its own
// before() and closed in its own after().
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export interface BrowserSuite {
  readonly server: TestServer;
  readonly browser: Browser;
}

/**
 * Starts a test server (with `options`) and Chromium side by side before the enclosing describe()'s tests, and
 * closes them after them. Read `server` and `browser` inside the hooks and tests registered after this call (they
 * are set by then). Never skipped: `npm test`'s pretest (scripts/pretest.ts) installs Chromium or stops with what
 * to install.
 */
export function browserSuite(options: TestServerOptions = {}): BrowserSuite {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    [server, browser] = await Promise.all([startTestServer(options), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('browserSuite: the test server is not started yet (read it in a hook or a test)');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('browserSuite: Chromium is not launched yet (read it in a hook or a test)');
      return browser;
    },
  };
}
