// Where the browser tests find Chromium, read by scripts/pretest.ts (which installs it) and test/support/browser.ts
// (which launches it). Debian's headless shell, not the full browser: the same Blink without the browser's UI process
// and its compositor, so the suite's 89 browser tests took 2:31 instead of 4:35 on a 2-core machine (docs/performance.md).
// CHROMIUM_PATH points them at another build (the full `chromium` works as well).
export const CHROMIUM_PACKAGE = 'chromium-headless-shell';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? `/usr/bin/${CHROMIUM_PACKAGE}`;
