// One HTTP request over Node's own http/https modules: a CLI command makes one or a few requests, and
// undici (~110 modules) cost more CPU to load than the whole command otherwise needs.
import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { UsageError } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The answer: status, headers, and the body as a stream that can also be read whole. */
export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage & { text(): Promise<string>; json(): Promise<unknown>; dump(): Promise<void> };
}

export interface HttpRequest {
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Idle time allowed between bytes of the answer, ms (0: none, for event streams). Default 300 s, as undici's. */
  bodyTimeout?: number;
  /** Time allowed until the answer's status line, ms. Default TENX_TIMEOUT (seconds) or 60 s. */
  answerTimeout?: number;
  agent?: Agent;
}

const DEFAULT_IDLE_MS = 300_000;

/**
 * How long a request waits for its answer to begin: a server that takes the connection and never answers held a
 * command silent for 300 s (the idle timeout). The slowest answer tenx gives (a payout run over every approved
 * commission of a large handle) starts within seconds; TENX_TIMEOUT (seconds) raises it.
 */
export function answerTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  if (env.TENX_TIMEOUT === undefined || env.TENX_TIMEOUT === '') return 60_000;
  const seconds = Number(env.TENX_TIMEOUT);
  // A typo fell back to 60 s without a word: configuration the user gave is used, or refused (exit 2).
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`TENX_TIMEOUT must be a number of seconds above 0, got "${env.TENX_TIMEOUT}"`);
  return seconds * 1000;
}

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * node:http or node:https, loaded on first use (node:https only for an https URL). Not by `import()`: an ES import of a
 * built-in reads every export, and node:http's WebSocket, CloseEvent and MessageEvent getters load undici (~65 more
 * internal modules, 40-70 ms of a command's start); process.getBuiltinModule returns the module without reading them.
 */
const httpModule = (url: URL) => (url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http'));

/** Keep-alive agents per protocol, created on first use. */
export async function agentFor(url: URL, maxSockets: number): Promise<Agent> {
  return new (httpModule(url).Agent)({ keepAlive: true, maxSockets });
}

/** Sends one request; rejects on network errors, an abort, or an answer idle for longer than bodyTimeout. */
export async function httpRequest(target: string, req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(target);
  const { request } = httpModule(url);
  const headers: Record<string, string | number> = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
  const idle = req.bodyTimeout ?? DEFAULT_IDLE_MS;
  const answerMs = req.answerTimeout ?? answerTimeoutMs();
  return new Promise<HttpResponse>((resolve, reject) => {
    const r = request(url, { method: req.method, headers, agent: req.agent, signal: req.signal }, (res) => {
      clearTimeout(answer);
      const body = Object.assign(res, {
        text: () => text(res),
        json: async () => JSON.parse(await text(res)) as unknown,
        dump: async () => {
          res.resume();
          await new Promise<void>((ok) => (res.complete ? ok() : res.once('end', ok).once('close', ok)));
        },
      });
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body });
    });
    // Never shorter than the wait for the answer: a TENX_TIMEOUT above the idle limit read "cannot reach … ETIMEDOUT".
    const quiet = Math.max(idle, answerMs);
    if (idle > 0) r.setTimeout(quiet, () => r.destroy(Object.assign(new Error(`no data for ${quiet / 1000} s`), { code: 'ETIMEDOUT' })));
    const answer = setTimeout(() => r.destroy(Object.assign(new Error(`no answer in ${answerMs / 1000} s`), { code: 'ETIMEDOUT', answerMs })), answerMs);
    r.once('error', (err) => {
      clearTimeout(answer);
      reject(err);
    });
    r.end(req.body);
  });
}
