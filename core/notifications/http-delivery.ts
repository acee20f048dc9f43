// The HTTP side of notification channels: one SSRF-checked, keep-alive JSON POST, never following
// redirects, always answering with one DeliveryResult the notifications panel can show.
import { performance } from 'node:perf_hooks';
import type * as Undici from 'undici';
import type { DeliveryResult, PluginApi, PostJsonOptions } from '../plugins/index.ts';
import { untilAborted } from '../infra/deadline.ts';
import { ENDPOINT_NOT_ALLOWED, checkEndpoint, guardedLookup, resolveAddresses } from './ssrf-guard.ts';

/**
 * Settings the kernel injects into every channel from WEBHOOK_ALLOW_PRIVATE; tenants cannot set them.
 * Kept for channels written before PluginApi.postJson, which applies the operator's policy itself.
 */
export interface ChannelSettings { allowPrivate?: boolean }

// Tenants may not widen the SSRF guard: allowPrivate is operator config, injected by the kernel.
export const channelSettingsSchema = { type: 'object', properties: {}, additionalProperties: false };

export const USER_AGENT = 'tenx-webhooks/1';
/** The error of a send cut off because the server stopped (JsonPoster.interrupt): not the endpoint's failure. */
export const INTERRUPTED = 'interrupted';
const SNIPPET_BYTES = 1024;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|HOSTNAME_MISMATCH|EPROTO$)/;

/** The short error class the notifications panel shows for a failed send. */
export function classifyError(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || (code && TIMEOUT_CODES.has(code))) return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === ENDPOINT_NOT_ALLOWED) return 'endpoint_not_allowed';
  if (code && DNS_CODES.has(code)) return 'dns';
  if (code && TLS_CODE.test(code)) return 'tls';
  return `other:${code ?? e?.name ?? 'unknown'}`;
}

/** Reads at most 1 KiB, then drops the rest: a receiver must not make us buffer a large answer. */
export async function readSnippet(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SNIPPET_BYTES) break;
    }
  } catch {
    // The status line already decided the outcome; a body cut short only shortens the snippet.
  } finally {
    body.destroy();
  }
  return size ? Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8') : undefined;
}

export interface JsonSend {
  url: string;
  /** POST (default) sends `body`; GET (a partner postback whose URL carries the event) sends none. */
  method?: 'GET' | 'POST';
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
  /** WEBHOOK_ALLOWED_PORTS; default 80, 443, 8443. */
  allowedPorts?: readonly number[];
  log: PluginApi['log'];
}

export type JsonPoster = ReturnType<typeof createJsonPoster>;

/**
 * A keep-alive POSTer shared by the notification channels: SSRF-checked at every send, redirects not
 * followed, one DeliveryResult whatever happens. Agents open on first use and close in close().
 * undici itself is imported by the first send: a server that never sends a webhook (most embedded
 * ones) does not hold its ~110 modules.
 */
export function createJsonPoster() {
  // interrupt(): a stopping server cuts the sends still waiting on their endpoints (INTERRUPTED), before its deadline.
  // Each send has its own controller, kept here while it runs: AbortSignal.any([timeout, stopping]) per send cost
  // ~12 µs and hung a weak reference per send on the long-lived stopping signal (webhooks bench 4-11 % slower).
  const stopping = new AbortController();
  const inFlight = new Set<AbortController>();
  let undici: Promise<typeof Undici> | undefined;
  let guarded: Undici.Agent | undefined;
  let open: Undici.Agent | undefined;
  // The guarded agent re-checks addresses at connect time too, closing the DNS-rebinding window.
  const agentFor = ({ Agent }: typeof Undici, allowPrivate: boolean) => allowPrivate
    ? (open ??= new Agent({ connections: 50 }))
    : (guarded ??= new Agent({ connections: 50, connect: { lookup: guardedLookup } }));

  async function post(send: JsonSend): Promise<DeliveryResult> {
    if (stopping.signal.aborted) return { ok: false, latencyMs: 0, error: INTERRUPTED };
    // Before the clock starts: loading undici is not the endpoint's time.
    const lib = await (undici ??= import('undici'));
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // The whole send, guard included, fits in timeoutMs; header/body timeouts alone miss connect and DNS.
    const send$ = new AbortController();
    const timer = setTimeout(() => send$.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), send.timeoutMs);
    inFlight.add(send$);
    // interrupt() may have run while undici was first loading: this send was not in the set it swept.
    if (stopping.signal.aborted) send$.abort(stopping.signal.reason);
    const deadline = send$.signal;
    let dnsError: unknown;
    try {
      // The resolver takes no signal: a lookup that hangs is cut by the deadline all the same.
      const check = await untilAborted(checkEndpoint(send.url, {
        allowPrivate: send.allowPrivate,
        allowedPorts: send.allowedPorts,
        lookup: (host) => resolveAddresses(host).catch((err) => { dnsError = err; throw err; }),
      }), deadline);
      if (!check.ok) {
        send.log.warn({ endpointUrl: send.url, reason: check.reason, detail: check.detail }, 'webhook endpoint refused');
        return { ok: false, latencyMs: elapsed(), error: dnsError ? classifyError(dnsError) : 'endpoint_not_allowed' };
      }
      const res = await lib.request(send.url, {
        method: send.method ?? 'POST',
        dispatcher: agentFor(lib, send.allowPrivate),
        headers: send.headers,
        body: send.method === 'GET' ? undefined : send.body,
        headersTimeout: send.timeoutMs,
        bodyTimeout: send.timeoutMs,
        signal: deadline,
      });
      const responseSnippet = await readSnippet(res.body);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, statusCode: res.statusCode, latencyMs: elapsed(), ...(ok ? {} : { error: `http_${res.statusCode}` }), responseSnippet };
    } catch (err) {
      // Only the stop's own abort is an interruption: a timeout, a refused connection or a TLS error that came first
      // (and is handled after it) is the endpoint's failure.
      const error = err === stopping.signal.reason ? INTERRUPTED : classifyError(err);
      if (error.startsWith('other:') || error === 'endpoint_not_allowed') {
        send.log.warn({ endpointUrl: send.url, err: (err as Error).message }, 'webhook send failed');
      }
      return { ok: false, latencyMs: elapsed(), error };
    } finally {
      clearTimeout(timer);
      inFlight.delete(send$);
    }
  }

  async function close(): Promise<void> {
    const agents = [guarded, open].filter((a): a is Undici.Agent => a !== undefined);
    guarded = open = undefined;
    await Promise.all(agents.map((a) => a.close()));
  }

  /** Cuts every send in flight (and refuses new ones) with INTERRUPTED: the server is stopping. */
  function interrupt(): void {
    stopping.abort();
    // A send whose own timeout fired first keeps that reason (abort() of an aborted signal changes nothing): a timeout.
    for (const send$ of inFlight) send$.abort(stopping.signal.reason);
  }

  return {
    post, close, interrupt,
    get interrupted() { return stopping.signal.aborted; },
    /** Aborts when interrupt() is called (its reason is what a send cut by it rejects with). */
    get stopping(): AbortSignal { return stopping.signal; },
  };
}

/** The operator's endpoint policy (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOWED_PORTS, WEBHOOK_TIMEOUT_MS). */
export interface EndpointPolicy {
  allowPrivate: boolean;
  allowedPorts: readonly number[];
  timeoutMs: number;
}

/**
 * PluginApi.postJson for one handle's plugins: every plugin POST goes through the same guarded
 * poster as the built-in channels, under the operator's policy (a handle's settings cannot widen it).
 */
export function pluginPostJson(poster: JsonPoster, policy: EndpointPolicy, log: PluginApi['log']): PluginApi['postJson'] {
  return (url: string, body: unknown, headers: Record<string, string> = {}, options: PostJsonOptions = {}) => {
    let text: string;
    try {
      text = typeof body === 'string' ? body : JSON.stringify(body);
    } catch (err) {
      log.warn({ endpointUrl: url, err: (err as Error).message }, 'plugin body is not serialisable');
      return Promise.resolve({ ok: false, latencyMs: 0, error: 'other:body' });
    }
    return poster.post({
      url,
      body: text,
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      timeoutMs: options.timeoutMs ?? policy.timeoutMs,
      allowPrivate: policy.allowPrivate,
      allowedPorts: policy.allowedPorts,
      log,
    });
  };
}
