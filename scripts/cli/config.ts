// The credentials store: one {url, handle, token} per user, readable only by them; env vars win (for scripts).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.ts';

export interface Credentials {
  url: string;
  handle: string;
  token: string;
}

/** `$XDG_CONFIG_HOME/tenx/credentials.json`, else `~/.config/tenx/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'tenx', 'credentials.json');
}

export function readStoredCredentials(path = credentialsPath()): Partial<Credentials> {
  if (!existsSync(path)) return {};
  if ((statSync(path).mode & 0o077) !== 0) {
    process.stderr.write(`tenx: warning: ${path} is readable by other users; run: chmod 600 ${path}\n`);
  }
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
    return typeof data === 'object' && data ? data : {};
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message}); run tenx login again`);
  }
}

/** Written to a 0600 temp file and renamed, so the token is never briefly world-readable or half-written. */
export function storeCredentials(creds: Credentials, path = credentialsPath()): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

export function removeCredentials(path = credentialsPath()): boolean {
  if (!existsSync(path)) return false;
  unlinkSync(path);
  return true;
}

/**
 * A URL as the CLI prints it (errors, notes, --json): a password in it, e.g. a proxy's basic auth in
 * http://user:secret@host, shows as *** (http://user:***@host). Also works on a sentence that holds URLs. The
 * credentials file keeps the URL as given: requests still need the password.
 */
export function redactUrl(text: string): string {
  // Up to the authority's last "@", as URL parsers read it: a password may itself hold an "@".
  return text.replace(/(\/\/[^/?#\s@:]*):[^/?#\s]*@/g, '$1:***@');
}

export function normalizeUrl(url: string): string {
  return serverBase(url).url;
}

/** Pages a user may copy from the browser for the server's URL: tenx's API is at the base they hang off. */
// Only as the last segment: a server behind a proxy at a prefix such as /tools/dashboard/tenx keeps its path.
const PAGE_PATH = /\/(dashboard|docs)\/?(index\.html)?$/;

/**
 * The server's base URL, and the page's path when `url` was the dashboard's or the API reference's
 * address (`http://localhost:3000/dashboard#/funnel` → `http://localhost:3000`, page `/dashboard`).
 */
export function serverBase(url: string): { url: string; page?: string } {
  // As typed: with its scheme left out (TENX_URL=user:secret@host), a URL parser reads "user:" as the scheme, so
  // redactUrl, which looks for "//", would print the password.
  const shown = redactUrl(url).replace(/^([^/?#\s@:]*):[^/?#\s]*@/, '$1:***@');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`"${shown}" is not a URL (expected e.g. http://localhost:3000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`"${shown}" must be an http or https URL`);
  const page = PAGE_PATH.exec(u.pathname)?.[0];
  if (page) {
    u.pathname = u.pathname.slice(0, -page.length) || '/';
    u.search = '';
    u.hash = '';
  }
  return { url: u.toString().replace(/\/+$/, ''), ...(page && { page }) };
}

/**
 * The server URL alone, for public endpoints that need no token: the --url flag, else TENX_URL, else
 * the stored login's (a merchant recording conversions has no login, and needs none).
 */
export function resolveUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag || env.TENX_URL || readStoredCredentials().url;
  if (!url) throw new UsageError('no server URL: pass --url URL (e.g. --url https://tenx.example.com) or set TENX_URL; no login is needed');
  return normalizeUrl(url);
}

/** Stored credentials overlaid by TENX_URL / TENX_HANDLE / TENX_TOKEN, each on its own. */
export function resolveCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const stored = env.TENX_URL && env.TENX_HANDLE && env.TENX_TOKEN ? {} : readStoredCredentials();
  const url = env.TENX_URL || stored.url;
  const handle = env.TENX_HANDLE || stored.handle;
  const token = env.TENX_TOKEN || stored.token;
  const missing = [!url && 'url', !handle && 'handle', !token && 'token'].filter(Boolean);
  if (missing.length) {
    throw new UsageError(
      `not logged in (missing ${missing.join(', ')}): run \`tenx login --url URL --handle HANDLE --token TOKEN\` ` +
        'or set TENX_URL, TENX_HANDLE and TENX_TOKEN',
    );
  }
  return { url: normalizeUrl(url!), handle: handle!, token: token! };
}
