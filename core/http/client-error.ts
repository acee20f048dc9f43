import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { uuidv7 } from '../infra/uuid7.ts';
import { requestIdFrom } from './request-id.ts';

// Requests node:http refuses before any handler runs (headers over its 16 KiB limit, a request line it
// cannot parse, a request that never finished arriving) got Node's bare status line: no body, no
// x-request-id. They are answered in the contract's error shape now, and the connection is closed.
const ANSWERS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request headers are larger than the server accepts (16 KiB).'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'The request did not arrive in time.'],
};
const MALFORMED: [number, string, string, string] = [400, 'Bad Request', 'invalid_request', 'The request is not valid HTTP.'];

/** How long a request already read whole may take to be answered once junk followed it on its connection. */
export const IN_FLIGHT_GRACE_MS = 2_000;

/** Connections in that grace: node:http's parser repeats its error on every later read, and the first call decided. */
const graced = new WeakSet<Duplex>();

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (graced.has(socket)) return;
    // A peer that hung up, or a request of this connection still being answered (a stream, or a pipelined
    // request whose handler runs): an error written now would land inside that response, or be read as
    // its answer. Nothing is written for the junk.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (inFlight) {
      // A request read whole (e.g. its Content-Length one byte short of what was sent, the rest read as a next
      // request) is still answered, then the connection closes: the client learns what was wrong with it (a 400
      // for JSON cut short) instead of a reset. One still arriving, or a stream, ends within the grace.
      if (!inFlight.req?.complete) {
        socket.destroy();
        return;
      }
      graced.add(socket);
      inFlight.shouldKeepAlive = false;
      // Headers already out (a redirect written before the junk was read, a stream) said keep-alive, and the parser
      // can read no further request: the connection ends with the response.
      inFlight.once('finish', () => socket.end());
      const timer = setTimeout(() => socket.destroy(), IN_FLIGHT_GRACE_MS).unref();
      socket.once('close', () => clearTimeout(timer));
      return;
    }
    const [status, reason, code, message] = ANSWERS[err.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${uuidv7()}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

/** What `http.createServer` needs so that refuseMissingHost, not node:http's bare 400, answers a request without Host. */
export const SERVER_OPTIONS = { requireHostHeader: false } as const;

/**
 * An HTTP/1.1 request without a Host header is refused (RFC 9112 §3.2), as node:http does by default, but in the
 * contract's error shape with an x-request-id: node:http's own answer was a bare `400 Bad Request` with neither.
 * Called first by the request listener of a server made with SERVER_OPTIONS; true when it answered.
 */
export function refuseMissingHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined || req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return false;
  const body = JSON.stringify({ error: { code: 'invalid_request', message: 'An HTTP/1.1 request needs a Host header.' } });
  res.shouldKeepAlive = false;
  res.writeHead(400, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestIdFrom(req.headers['x-request-id']),
    'cache-control': 'no-store',
    connection: 'close',
  });
  res.end(body);
  return true;
}
