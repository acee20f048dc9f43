// The CLI's HTTP client: the same requests a script would make (node:http, see http.ts), errors as the contract words them.
import type { Agent } from 'node:http';
import { credentialsPath, redactUrl, resolveCredentials, type Credentials } from './config.ts';
import { ApiError, NoAnswerError, ServerError, UsageError, unreachableHint, withCredentialHint } from './errors.ts';
import { agentFor, httpRequest, type HttpMethod, type HttpResponse } from './http.ts';

export const USER_AGENT = 'tenx-cli/0.1.0';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** No Authorization header (the public conversion endpoint, the redirect). */
  anonymous?: boolean;
  /** 0 disables the idle-body timeout (event streams). */
  bodyTimeout?: number;
  signal?: AbortSignal;
}

/** Builds `base + path?query`, leaving out undefined/null/empty values. */
export function buildUrl(base: string, path: string, query: Query = {}): string {
  const url = new URL(base + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

/** Turns an error body into an ApiError carrying the contract's message (or the best sentence available). */
export async function apiErrorOf(res: HttpResponse, url?: string): Promise<ApiError> {
  const text = await res.body.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error?: { code?: string; message?: string; details?: { pointer: string; message: string }[] } };
    if (error?.message) return new ApiError(res.statusCode, error.code ?? 'error', error.message, error.details);
  } catch {
    // Not the contract's shape (a proxy page, an HTML 404): fall through to the status line.
  }
  // Every tenx error has the contract's shape, so anything else came from something other than tenx
  // (a wrong port, a proxy, another app): say that rather than relay its page as if tenx had said it.
  // A 5xx of that kind is a proxy's (502, 503, 504): tenx behind it is down or unreachable, not absent.
  if (url) return res.statusCode >= 500 ? serverDown(url, res.statusCode) : notTenx(url, res.statusCode);
  const snippet = text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(res.statusCode, 'http_error', `HTTP ${res.statusCode}${snippet ? `: ${snippet}` : ''}`);
}

/** "http://…: not a tenx server (HTTP 404)": the answer did not come from tenx. */
export const notTenx = (url: string, status: number) => new ApiError(status, 'not_tenx', `${redactUrl(url)}: not a tenx server (HTTP ${status})`);

/** Why a proxy answers that status itself (tenx's own 503 has the contract's shape, its own message). */
const PROXY_SAYS: Record<number, string> = {
  502: 'a proxy in front of tenx could not reach it',
  503: 'a proxy in front of tenx has no server to pass it to: down or restarting',
  504: 'a proxy in front of tenx got no answer from it in time',
};

/**
 * "http://…: the server answered HTTP 502 Bad Gateway (…); try again": a 5xx that is not tenx's error shape. Read as "not
 * a tenx server" it sent people checking the URL of a server that was only down for a moment; still exit 1, as a
 * server that cannot be reached.
 */
export function serverDown(url: string, status: number): ApiError {
  // Not an ES import of node:http: it would load Node's undici at every command's start (see http.ts's httpModule).
  const reason = process.getBuiltinModule('node:http').STATUS_CODES[status];
  const why = PROXY_SAYS[status] ?? 'not the error answer of tenx itself: a proxy in front of it, or the server, failed';
  return new ApiError(status, 'server_unavailable', `${redactUrl(url)}: the server answered HTTP ${status}${reason ? ` ${reason}` : ''} (${why}); try again`);
}

/** The media type of each stream tenx answers: a file format (export, statement), or Server-Sent Events. */
export const STREAM_TYPES = { csv: 'text/csv', ndjson: 'application/x-ndjson', events: 'text/event-stream' } as const;

/**
 * A stream tenx answers (an export, a statement, the event stream): its 200 answer of the type asked for, else the
 * error. A 200 of another type (a proxy's or another app's HTML page) is not tenx's: never written out as if it
 * were the file, nor followed as if it were the event stream.
 */
export async function streamed(res: HttpResponse, url: string, kind: keyof typeof STREAM_TYPES): Promise<HttpResponse> {
  if (res.statusCode !== 200) throw await apiErrorOf(res, url);
  const type = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== STREAM_TYPES[kind]) {
    await res.body.dump();
    throw notTenx(url, res.statusCode);
  }
  return res;
}

export class TenxClient {
  private agent: Agent | null = null;

  readonly url: string;
  readonly handle: string;
  readonly token: string;
  constructor(
    url: string,
    handle: string = '',
    token: string = '',
  ) {
    this.url = url;
    this.handle = handle;
    this.token = token;
  }

  static from(creds: Credentials): TenxClient {
    return new TenxClient(creds.url, creds.handle, creds.token);
  }

  /** A partner token (tenx_ptk_) works on its realm only: /v2/handles/{handle}/partner/... */
  get isPartner(): boolean {
    return this.token.startsWith('tenx_ptk_');
  }

  /** The analytics routes this token may read: the handle's, or its partner realm's (same shapes, its own campaigns). */
  analyticsPath(rest = ''): string {
    return this.readPath(`/analytics${rest}`);
  }

  /**
   * `--partner` on a read both kinds of token make: a handle login's filter. A partner login reads its own partner's rows
   * only, so the flag is refused: the realm answers another partner's id 404 "Partner not found", read as if it did not exist.
   */
  partnerFilter(given: string | undefined): string | undefined {
    if (given !== undefined && this.isPartner) {
      throw new UsageError("--partner is for handle tokens: a partner login reads only its own partner's rows (leave --partner out)");
    }
    return given;
  }

  /** A route both kinds of token read (analytics, commissions, payouts, campaigns): the handle's, or the partner realm's (its own rows). */
  readPath(rest: string): string {
    return this.handlePath(`${this.isPartner ? '/partner' : ''}${rest}`);
  }

  /** `/v2/handles/{handle}` + rest, with the handle escaped. */
  handlePath(rest = ''): string {
    return `/v2/handles/${encodeURIComponent(this.handle)}${rest}`;
  }

  /** Any response (2xx or not); the caller reads or discards the body. Network failures become ServerError. */
  async raw(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json', ...opts.headers };
    if (!opts.anonymous && this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    try {
      const url = buildUrl(this.url, path, opts.query);
      this.agent ??= await agentFor(new URL(url), 16);
      return await httpRequest(url, { method, headers, body, agent: this.agent, signal: opts.signal, bodyTimeout: opts.bodyTimeout });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || err instanceof UsageError) throw err;
      const e = err as Error & { code?: string; cause?: { code?: string }; answerMs?: number };
      // Connected, but nothing came back in time: not "cannot reach".
      if (e.answerMs) throw new NoAnswerError(`${redactUrl(this.url)} gave no answer in ${e.answerMs / 1000} s (is it a tenx server, and not overloaded? TENX_TIMEOUT=<seconds> waits longer)`);
      const code = e.code ?? e.cause?.code ?? e.message;
      // Node refuses to send a header with a line break: the token, not the server (it read "cannot reach").
      if (code === 'ERR_INVALID_CHAR') throw new UsageError('the token holds a character a request header cannot carry (a line break or a space, pasted with it?): check --token, TENX_TOKEN or the stored login');
      throw new ServerError(`cannot reach ${redactUrl(this.url)}: ${code}${unreachableHint(code)}`);
    }
  }

  /** JSON in, JSON out; a non-2xx answer throws ApiError with the contract's message. */
  async json<T = any>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.answer<T>(method, path, opts)).body;
  }

  /** As json(), with the answer's status and headers (what a repeat says of itself, e.g. Idempotent-Replayed). */
  async answer<T = any>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<{ status: number; headers: HttpResponse['headers']; body: T }> {
    const res = await this.raw(method, path, opts);
    if (res.statusCode < 200 || res.statusCode >= 300) throw await apiErrorOf(res, this.url);
    const text = await res.body.text();
    if (!text) return { status: res.statusCode, headers: res.headers, body: undefined as T };
    try {
      return { status: res.statusCode, headers: res.headers, body: JSON.parse(text) as T };
    } catch {
      // tenx answers JSON on every JSON route: a 200 page in HTML is another server on that address.
      throw notTenx(this.url, res.statusCode);
    }
  }

  get<T = any>(path: string, query?: Query) {
    return this.json<T>('GET', path, { query });
  }
  post<T = any>(path: string, body?: unknown) {
    return this.json<T>('POST', path, { body: body ?? {} });
  }
  patch<T = any>(path: string, body: unknown) {
    return this.json<T>('PATCH', path, { body });
  }
  put<T = any>(path: string, body: unknown) {
    return this.json<T>('PUT', path, { body });
  }
  delete<T = any>(path: string) {
    return this.json<T>('DELETE', path);
  }

  /** Every page of a `{data, nextCursor}` list, or one page when `limit`/`cursor` were asked for. */
  async list<T = any>(path: string, query: Query = {}): Promise<{ data: T[]; nextCursor: string | null }> {
    if (query.limit !== undefined || query.cursor !== undefined) return this.get(path, query);
    const data: T[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: T[]; nextCursor: string | null } = await this.get(path, { ...query, limit: 500, cursor });
      data.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return { data, nextCursor: null };
  }

  async close(): Promise<void> {
    this.agent?.destroy();
  }
}

/** Runs fn with a client for the resolved credentials, closing its connections afterwards so the process can exit. */
export async function withClient<T>(fn: (client: TenxClient) => Promise<T>): Promise<T> {
  const client = TenxClient.from(resolveCredentials());
  try {
    return await fn(client);
  } catch (err) {
    throw withCredentialHint(err, client.isPartner, credentialsPath());
  } finally {
    await client.close();
  }
}
