// `tenx login` / `tenx logout`: check a PAT against the API, then keep it in the user's config dir (0600).
import type { Command } from 'commander';
import { TenxClient } from './client.ts';
import { credentialsPath, redactUrl, removeCredentials, serverBase, storeCredentials } from './config.ts';
import { ApiError, UsageError } from './errors.ts';
import { action, printJson } from './output.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/**
 * 404 on the handle, after the token passed (401 comes first): the handle is not the token's. Two
 * causes people hit: typing the handle in capitals (handles are lower case) and a token of another handle.
 */
export function handleNotFound(err: ApiError, handle: string): ApiError {
  const hints: string[] = [];
  if (handle !== handle.toLowerCase()) hints.push(`Handles are lower case: try --handle ${handle.toLowerCase()}.`);
  hints.push('A token belongs to exactly one handle: use the handle it was created for.');
  return new ApiError(err.status, err.code, `${err.message} ${hints.join(' ')}`, err.details);
}

const isHandleNotFound = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.status === 404 && /^Handle /.test(err.message);

/** tenx answered, but none of its routes is under this URL's path: the URL is not the server's base. */
function notBaseUrl(err: unknown, url: string): unknown {
  if (!(err instanceof ApiError && err.status === 404 && err.code === 'not_found' && /^No route for /.test(err.message))) return err;
  const root = new URL(url);
  return new UsageError(
    `${redactUrl(url)} is not a tenx base URL: tenx answers there, but its API is not under ${root.pathname}. ` +
      `Pass the address the server prints at start, e.g. --url ${root.origin}`,
  );
}

interface LoginOptions {
  url?: string;
  handle?: string;
  token?: string;
  json?: boolean;
}

async function login(opts: LoginOptions) {
  const url = opts.url ?? process.env.TENX_URL;
  const handle = opts.handle ?? process.env.TENX_HANDLE;
  // `--token -` keeps the secret out of shell history and `ps`.
  const token = opts.token === '-' ? await readStdin() : (opts.token ?? process.env.TENX_TOKEN);
  if (opts.token === '-' && !token) throw new UsageError('--token - read nothing from stdin: pipe the token in, e.g. `printf %s "$TOKEN" | tenx login … --token -`');
  if (!url || !handle || !token) {
    const missing = [!url && '--url', !handle && '--handle', !token && '--token'].filter(Boolean).join(', ');
    throw new UsageError(`login needs --url, --handle and --token (or TENX_URL, TENX_HANDLE, TENX_TOKEN); missing: ${missing}`);
  }
  const base = serverBase(url);
  if (base.page) process.stderr.write(`note: ${redactUrl(url)} is a page of tenx (${base.page}), not its base URL; using ${redactUrl(base.url)}\n`);
  const client = new TenxClient(base.url, handle, token);
  let tenant: { handle: string; name?: string; reportingCurrency?: string } | null = null;
  let note = '';
  if (client.isPartner) {
    // A partner token answers 403 outside its realm: its profile proves it (401 bad token, 404 another handle).
    try {
      const me: { partnerId: string; name: string } = await client.get(client.handlePath('/partner'));
      note = ` as partner ${me.partnerId} (${me.name}); analytics, campaigns, commissions and payouts read your own`;
    } catch (err) {
      if (isHandleNotFound(err)) throw handleNotFound(err, handle);
      throw notBaseUrl(err, client.url);
    } finally {
      await client.close();
    }
    const path = storeCredentials({ url: client.url, handle, token });
    if (opts.json) return printJson({ url: redactUrl(client.url), handle, partner: true, credentialsPath: path });
    process.stdout.write(`Logged in to ${redactUrl(client.url)} on handle ${handle}${note}.\nCredentials saved to ${path} (mode 0600).\n`);
    return;
  }
  try {
    // GET /v2/handles/{handle} answers any token of the handle: 401 = bad token, 404 = token of another handle.
    tenant = await client.get(client.handlePath());
  } catch (err) {
    if (isHandleNotFound(err)) throw handleNotFound(err, handle);
    throw notBaseUrl(err, client.url);
  } finally {
    await client.close();
  }
  const path = storeCredentials({ url: client.url, handle, token });
  if (opts.json) return printJson({ url: redactUrl(client.url), handle, name: tenant?.name ?? null, credentialsPath: path });
  const name = tenant?.name ? ` (${tenant.name})` : '';
  process.stdout.write(`Logged in to ${redactUrl(client.url)} as handle ${handle}${name}${note}.\nCredentials saved to ${path} (mode 0600).\n`);
  // The operator's token opens every handle with every right: stored for one, it was taken for that handle's own.
  if (token.startsWith('tenx_admin_') || (process.env.ADMIN_TOKEN && token === process.env.ADMIN_TOKEN)) {
    process.stderr.write(`note: that is the operator's admin token (every handle, every scope), now stored as the login of ${handle}; its owner token or a PAT with the scopes you need is safer to keep (tenx tokens create).\n`);
  }
}

export function registerLoginCommands(program: Command) {
  program
    .command('login')
    .description('check a personal access token (or a partner token, tenx_ptk_) against the API and store it for later commands')
    .option('--url <url>', 'server base URL, e.g. https://tenx.example.com (default: TENX_URL)')
    .option('--handle <handle>', 'the handle the token belongs to (default: TENX_HANDLE)')
    .option('--token <token>', 'the personal access token; "-" reads it from stdin (default: TENX_TOKEN)')
    .option('--json', 'print the result as JSON')
    .action(action(login));

  program
    .command('logout')
    .description('forget the stored credentials')
    .action(
      action(() => {
        const path = credentialsPath();
        process.stdout.write(removeCredentials(path) ? `Removed ${path}.\n` : `Not logged in (${path} does not exist).\n`);
      }),
    );
}
