import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestIdFrom } from './request-id.ts';

// Requests node:http refuses before any handler runs (headers over its 16 KiB limit, a request line it
// cannot parse, a request that never finished arriving) got Node's bare status line: no body, no
// x-request-id. They are answered in the contract's error shape now, and the connection is closed.
/** An answer written on the connection itself: status, reason phrase, error code, message. */
type Answer = [number, string, string, string];

const ANSWERS: Record<string, Answer> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request headers are larger than the server accepts (16 KiB).'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'The request did not arrive in time.'],
};
const MALFORMED: Answer = [400, 'Bad Request', 'invalid_request', 'The request is not valid HTTP.'];

/** How long a request already read whole may take to be answered once junk followed it on its connection. */
export const IN_FLIGHT_GRACE_MS = 2_000;

/** Connections in that grace: node:http's parser repeats its error on every later read, and the first call decided. */
const graced = new WeakSet<Duplex>();

/**
 * The connection ends within IN_FLIGHT_GRACE_MS whatever its client does (node:http keeps half-open connections, and
 * watches none whose parser failed); later parser errors on it are ignored. Once per connection.
 */
function endWithinGrace(socket: Duplex): void {
  if (graced.has(socket)) return;
  graced.add(socket);
  const timer = setTimeout(() => socket.destroy(), IN_FLIGHT_GRACE_MS).unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * An `Expect` other than 100-continue: node:http answered a bare 417 (no body, no x-request-id). The contract's shape
 * now; the request is not processed.
 */
function answerExpectations(server: Server): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    answerError(req, res, 417, 'expectation_failed', `Expect: ${String(req.headers.expect).slice(0, 64)} is not supported (only 100-continue).`));
}

export function answerClientErrors(server: Server): void {
  answerExpectations(server);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (graced.has(socket)) return;
    // A peer that hung up, or a request of this connection still being answered (a stream, or a pipelined
    // request whose handler runs): an error written now would land inside that response, or be read as
    // its answer. Nothing is written for the junk.
    const inFlight = (socket as HttpSocket)._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (inFlight) {
      endWithinGrace(socket);
      holdReads(socket);
      if (!inFlight.req?.complete) {
        // Its body is still arriving and cannot be read on (a chunk size that is no hex number, a chunk without its CRLF,
        // a Content-Length body cut short: 400; or it came too slowly: 408): answered unless its answer has begun (a
        // stream). The handler waiting for the body learns of it when the connection closes; its answer goes nowhere.
        if (inFlight.headersSent) {
          socket.destroy();
          return;
        }
        const chunked = inFlight.req.headers['transfer-encoding'] !== undefined;
        const answer = ANSWERS[err.code ?? ''] ?? (chunked ? MALFORMED_BODY : CUT_BODY);
        endWithError(socket, answer, String(inFlight.getHeader('x-request-id') ?? requestIdFrom(inFlight.req.headers['x-request-id'])));
        return;
      }
      // A request read whole (e.g. its Content-Length one byte short of what was sent, the rest read as a next
      // request) is still answered, then the connection closes: the client learns what was wrong with it (a 400
      // for JSON cut short) instead of a reset. A stream ends within the grace.
      // Headers already out (a redirect written before the junk was read, a stream) said keep-alive, and the parser
      // can read no further request: the connection ends with the response, or with the last of the requests read
      // whole behind it (pipelined: they run, and their answers are queued behind this one).
      const last = (socket as HttpSocket).parser?.incoming ?? inFlight.req;
      if (last === inFlight.req) inFlight.shouldKeepAlive = false;
      endAfterQueued(socket, inFlight, last);
      return;
    }
    endWithError(socket, ANSWERS[err.code ?? ''] ?? MALFORMED, requestIdFrom(requestIdIn((err as { rawPacket?: unknown }).rawPacket)));
  });
}

// Only the form requestIdFrom() accepts, which no space or tab is part of: a value of spaces matches in linear time (a
// lazy `[^\r\n]*?` between two `[ \t]*` backtracked cubically on 60 KB of spaces: minutes on the event loop).
const RAW_REQUEST_ID = /\r\nx-request-id:[ \t]*([A-Za-z0-9._:-]{1,128})[ \t]*\r\n/i;

/**
 * The x-request-id among the bytes node:http's parser refused (`rawPacket`: what it was reading when it failed), so the
 * answer echoes it as every other does (a header section over 16 KiB, a request line that is no HTTP). Best effort: a
 * header in an earlier read is not there, and then the answer carries a new id. requestIdFrom() checks its form.
 */
function requestIdIn(raw: unknown): string | undefined {
  if (!Buffer.isBuffer(raw)) return undefined;
  const head = raw.toString('latin1', 0, Math.min(raw.length, 64 * 1024));
  const end = head.indexOf('\r\n\r\n');
  return RAW_REQUEST_ID.exec(end < 0 ? head : head.slice(0, end + 2))?.[1];
}

/** node:http's fields of a server connection read here: its response being written, its parser's last request, its hold. */
type HttpSocket = Duplex & { _httpMessage?: ServerResponse | null; parser?: { incoming?: IncomingMessage | null } | null; _paused?: boolean };

/**
 * Nothing more is read from the connection: a request that went on arriving after a 408 (or one pipelined behind the
 * request being answered) would complete, and its handler run with no one to read its answer. `pause()` alone lasts
 * until a handler reads its body or its response ends (node:http then resumes the socket to read or drop the rest);
 * `_paused` is the flag node:http's own back-pressure sets for this, and its resume handler then pauses again
 * (`onSocketResume`, lib/_http_server.js). The grace ends the connection.
 */
function holdReads(socket: Duplex): void {
  (socket as HttpSocket)._paused = true;
  socket.pause();
}

/**
 * Ends the connection once `res` and every response queued behind it (pipelined requests read whole, up to `last`, the
 * parser's last request) are written. A response that closes the connection itself (`connection: close`) would drop
 * the ones queued behind it, so only the last one is told to.
 */
function endAfterQueued(socket: Duplex, res: ServerResponse, last: IncomingMessage): void {
  // node:http's own 'finish' listener, added first, has assigned the next queued response to the socket by then.
  res.once('finish', () => {
    const next = (socket as HttpSocket)._httpMessage;
    if (!next || next === res) return void socket.end();
    if (next.req === last) next.shouldKeepAlive = false;
    endAfterQueued(socket, next, last);
  });
}

const MALFORMED_BODY: Answer = [400, 'Bad Request', 'invalid_request', 'The request body is not valid HTTP chunked encoding.'];
const CUT_BODY: Answer = [400, 'Bad Request', 'invalid_request', 'The request body ended before its Content-Length.'];

/** An answer in the contract's error shape written on the connection itself (node:http has no response for it), then FIN. */
function endWithError(socket: Duplex, [status, reason, code, message]: Answer, requestId: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
  );
  // A client that never closes its side would otherwise hold the connection for good.
  if (!socket.destroyed) endWithinGrace(socket);
}

/**
 * What `http.createServer` needs: refuseMalformed, not node:http's bare 400, answers a request without Host; a request
 * (headers, then body) must arrive within REQUEST_TIMEOUT_MS (node:http answers ERR_HTTP_REQUEST_TIMEOUT, which
 * answerClientErrors turns into the contract's 408), its headers within the lesser of that and node's 60 s. node:http
 * looks for late requests every connectionsCheckingInterval: a tenth of the limit, so one is cut at most 10 % late.
 */
export function serverOptions(requestTimeoutMs: number) {
  return {
    requireHostHeader: false,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.round(requestTimeoutMs / 10))),
  } as const;
}

/** An error in the contract's shape, outside Koa (no route ran), the connection closed after it. */
function answerError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): true {
  const body = JSON.stringify({ error: { code, message } });
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestIdFrom(req.headers['x-request-id']),
    'cache-control': 'no-store',
    connection: 'close',
  });
  res.end(body);
  return true;
}

const refuse = (req: IncomingMessage, res: ServerResponse, message: string) => answerError(req, res, 400, 'invalid_request', message);

/** `OPTIONS *` (RFC 9112 §3.2.4) asks what the server supports at all: the methods some route takes. */
function answerServerOptions(req: IncomingMessage, res: ServerResponse): true {
  res.writeHead(204, { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS', 'x-request-id': requestIdFrom(req.headers['x-request-id']) });
  res.end();
  return true;
}

/**
 * A request target in absolute form (`GET http://host/path`, RFC 9112 §3.2.2, which a server must accept) becomes the
 * path as sent, its authority dropped: not the URL parser's pathname, which resolves `..` and `%2e%2e` (so
 * `http://x/v2/public/%2e%2e/handles/…` would reach what `/v2/public/%2e%2e/handles/…` does not, past a proxy that
 * allows paths by prefix). False when it is no http(s) URL (`http://[::1`): Koa's URL parsing threw on it, a 500.
 */
function toOriginForm(req: IncomingMessage): boolean {
  const target = req.url!;
  // `http:/x`, `http:\\x`: the URL parser mends them into another URL; a backslash is no URL character at all.
  if (!/^https?:\/\//i.test(target) || target.includes('\\')) return false;
  // The authority must parse (`http://[::1` does not); the scheme is http(s) by the pattern above.
  if (!URL.canParse(target)) return false;
  const afterAuthority = target.slice(target.indexOf('//') + 2);
  const at = afterAuthority.search(/[/?#]/);
  let rest = at < 0 ? '' : afterAuthority.slice(at);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
  return true;
}

function headerCount(raw: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === name.length && raw[i].toLowerCase() === name) n++;
  return n;
}

/**
 * Requests refused before any route, in the contract's error shape with an x-request-id (node:http's own answers had
 * neither, or Koa failed on them): an HTTP/1.1 request without a Host header (RFC 9112 §3.2; a server made with
 * serverOptions leaves it to this), a request target that is no path and no http(s) URL, and several Authorization
 * headers (node:http keeps the first, a proxy may read the last: the two would disagree on who is calling).
 * Called first by the request listener; true when it answered. A redirect (a path, a Host, no Authorization) pays three
 * comparisons.
 */
export function refuseMalformed(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.url?.charCodeAt(0) !== 47 /* / */ && !toOriginForm(req)) {
    if (req.url === '*' && req.method === 'OPTIONS') return answerServerOptions(req, res);
    return refuse(req, res, 'The request target is not a valid URL: send a path (/…) or an absolute http(s) URL.');
  }
  if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    return refuse(req, res, 'An HTTP/1.1 request needs a Host header.');
  }
  if (req.headers.authorization !== undefined && headerCount(req.rawHeaders, 'authorization') > 1) {
    return refuse(req, res, 'Send one Authorization header: this request has several.');
  }
  return false;
}
