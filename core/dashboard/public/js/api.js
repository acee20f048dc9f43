// The dashboard's only door to data: the v2 HTTP API with the person's PAT as a bearer header.

const TOKEN_KEY = 'tenx.token';
const HANDLE_KEY = 'tenx.handle';

/** The signed-in session lives in sessionStorage (gone with the tab), never in a URL. */
export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get handle() { return sessionStorage.getItem(HANDLE_KEY); },
  save(handle, token) {
    sessionStorage.setItem(HANDLE_KEY, handle);
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  /** The token goes; the handle stays to fill the sign-in form again (after a forced sign-out it had to be retyped). */
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An error in the contract's shape: `{error: {code, message, details?}}` plus the HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, details, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

const listeners = new Set();
/** Called with every 401, so the app can send the person back to sign-in. */
export const onUnauthorized = (fn) => listeners.add(fn);
/** A 401 met outside api() (the live stream): the session's token is dead, the app signs out. */
export const unauthorized = (err) => {
  for (const fn of listeners) fn(err);
};

export const handlePath = (path, handle = session.handle) => `/v2/handles/${encodeURIComponent(handle)}${path}`;

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function authHeaders(token = session.token) {
  return { authorization: `Bearer ${token}` };
}

async function toApiError(res) {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: fall through to a generic message that still names the status
  }
  const e = body?.error;
  if (e?.message) return new ApiError(res.status, e.code, e.message, e.details, requestId);
  return new ApiError(res.status, 'http_error', `The server answered ${res.status} ${res.statusText || ''}`.trim() + '.', undefined, requestId);
}

/**
 * fetch against the API: JSON in and out, errors thrown as ApiError. `raw: true` returns the
 * Response (for downloads and streams) once its status is known to be 2xx.
 */
export async function api(path, { method = 'GET', body, token, handle, raw = false, signal, headers = {} } = {}) {
  const url = path.startsWith('/v2/') ? path : handlePath(path, handle);
  let res;
  try {
    res = await fetch(url, {
      method,
      signal,
      cache: 'no-store',
      headers: { accept: 'application/json', ...authHeaders(token), ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', `The server could not be reached (${err?.message ?? err}).`);
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && !token) unauthorized(err);
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

/** Fetches a file with the auth header and hands it to the browser as a download. */
export async function download(path, filename) {
  const res = await api(path, { raw: true, headers: { accept: '*/*' } });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob.size;
}
