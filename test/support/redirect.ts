import { expect } from 'chai';
import { createCtxCodec } from '../../core/redirect/ctx-token.ts';
import type { TestServer } from './server.ts';

/** The codec of startTestServer's CTX_SECRETS: verifies tokens exactly as the conversions API will. */
export const testCodec = createCtxCodec(['test-ctx-secret-key-aaaaaaaaaaaaaaaaaaaaaaaa']);

export const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
export const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';

let ipSeq = 1;
/** A person's browser: real UA, Accept-Language, and its own client IP (TRUSTED_PROXIES=127.0.0.1 in these tests). */
export function person(ua = CHROME, extra: Record<string, string> = {}) {
  const n = ipSeq++;
  return { 'user-agent': ua, 'accept-language': 'en-US,en;q=0.9', 'x-forwarded-for': `198.51.${(n >> 8) & 255}.${n & 255}`, ...extra };
}

export const trustLocalProxy = { TRUSTED_PROXIES: '127.0.0.1,::1' };

export function campaign(campaignId: string, slug: string, destinationUrl: string, extra: Record<string, unknown> = {}) {
  return { campaignId, goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug, destinationUrl }, ...extra };
}

/** Splits a 302's Location into the destination it kept and its verified ctx claims. */
export function followed(location: string, ctxParam = 'ctx') {
  const url = new URL(location);
  const token = url.searchParams.get(ctxParam);
  expect(token, `no ${ctxParam} in ${location}`).to.be.a('string');
  expect(token!.length).to.be.at.most(200);
  const verified = testCodec.verify(token);
  if (!verified.ok) throw new Error(`ctx did not verify: ${verified.reason}`);
  url.searchParams.delete(ctxParam);
  return { destination: url.toString(), claims: verified.claims, expired: verified.expired };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 3000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function clickCount(server: TestServer, handle: string): Promise<number> {
  const { rows } = await server.sql.query('select count(*)::int as n from clicks where handle = $1', [handle]);
  return rows[0].n;
}

/** Waits until `n` clicks of the handle are in PostgreSQL and returns them, oldest first. */
export async function storedClicks(server: TestServer, handle: string, n: number, timeoutMs = 3000) {
  await waitFor(`${n} clicks`, async () => (await clickCount(server, handle)) >= n, timeoutMs);
  const { rows } = await server.sql.query('select * from clicks where handle = $1 order by click_id', [handle]);
  return rows;
}

/** Sum of a Prometheus counter's samples whose labels include `labels` (e.g. `mode="workers"`). */
export async function metric(server: TestServer, name: string, labels = ''): Promise<number> {
  const text = (await server.http.get('/metrics').expect(200)).text;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (labels && !line.includes(labels))) continue;
    if (line[name.length] !== '{' && line[name.length] !== ' ') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
