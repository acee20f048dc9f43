// Flags browsers driven by automation: headless builds, WebDriver tools, and headers no person's browser omits.
import { definePlugin, type BotDetectorPlugin } from '../../../core/plugins/sdk.ts';

export interface AutomationSettings {
  /** A browser-looking UA without Accept-Language is almost always a script. */
  flagMissingAcceptLanguage: boolean;
}

const AUTOMATION_UA = /(HeadlessChrome|Headless|Puppeteer|Playwright|Selenium|webdriver|PhantomJS)/i;
const HEADLESS_HINT = /HeadlessChrome/i;
// Every mainstream browser (and in-app webview) starts its UA this way.
const BROWSER_LIKE = /^Mozilla\/5\.0 \(/;

function uaSignal(matched: string): string {
  const what = matched.toLowerCase();
  return what.startsWith('headless') ? 'headless' : what;
}

export default definePlugin<BotDetectorPlugin<AutomationSettings>>({
  name: 'automation',
  version: '1.0.0',
  kind: 'bot-detector',
  description: 'Flags headless browsers, WebDriver/Puppeteer/Playwright/Selenium and browser UAs without Accept-Language.',
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { flagMissingAcceptLanguage: { type: 'boolean' } },
  },
  defaultSettings: { flagMissingAcceptLanguage: true },
  inspect(click, settings) {
    const ua = click.userAgent;
    const hit = AUTOMATION_UA.exec(ua);
    if (hit) return { bot: true, reason: `automation:${uaSignal(hit[1])}` };
    const clientHints = click.headers['sec-ch-ua'];
    if (clientHints && HEADLESS_HINT.test(clientHints)) return { bot: true, reason: 'automation:headless' };
    const flagMissing = settings?.flagMissingAcceptLanguage ?? true;
    if (flagMissing && !click.headers['accept-language']?.trim() && BROWSER_LIKE.test(ua)) {
      return { bot: true, reason: 'automation:no_accept_language' };
    }
    return { bot: false };
  },
});
