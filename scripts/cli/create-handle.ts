// `tenx create-handle`: the operator creates a tenant with ADMIN_TOKEN and hands its owner token to the network.
import type { Command } from 'commander';
import { currencyArg } from './args.ts';
import { TenxClient } from './client.ts';
import { normalizeUrl, readStoredCredentials, redactUrl } from './config.ts';
import { ApiError, UsageError, withHint } from './errors.ts';
import { action, printJson } from './output.ts';

/**
 * --url, else TENX_URL, else the stored login's server, else the server's default local address: logged in to the
 * server on 127.0.0.1:3903, `ADMIN_TOKEN=… tenx seed-demo` went to localhost:3000 (ECONNREFUSED).
 */
export function operatorUrl(url?: string): string {
  return normalizeUrl(url || process.env.TENX_URL || readStoredCredentials().url || `http://localhost:${process.env.PORT || 3000}`);
}

export function adminToken(): string {
  const token = process.env.ADMIN_TOKEN;
  if (!token) throw new UsageError('set ADMIN_TOKEN to the server\'s operator token (printed at first start in embedded mode)');
  return token;
}

export interface CreatedHandle {
  handle: string;
  name: string;
  reportingCurrency: string;
  createdAt: string;
  ownerToken: string;
}

export async function createHandle(url: string, body: { handle: string; name: string; reportingCurrency?: string }): Promise<CreatedHandle> {
  const client = new TenxClient(url, '', adminToken());
  try {
    return await client.post<CreatedHandle>('/v2/handles', body);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
    throw withHint(err, `ADMIN_TOKEN is not the operator token of ${redactUrl(url)}: use the ADMIN_TOKEN it runs with, or the one it printed at its first start (embedded mode keeps it in DATA_DIR/secrets.json).`);
  } finally {
    await client.close();
  }
}

export function registerCreateHandleCommand(program: Command) {
  program
    .command('create-handle <handle>')
    .description('create a handle (tenant) with ADMIN_TOKEN; prints its owner token (stdout: the token alone)')
    .requiredOption('--name <name>', 'display name, e.g. "Acme Network"')
    .option('--reporting-currency <code>', 'ISO-4217 currency revenue is reported in (server default USD)', currencyArg)
    .option('--url <url>', 'server base URL (default: TENX_URL, the login, else http://localhost:$PORT)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (handle: string, o: { name: string; reportingCurrency?: string; url?: string; json?: boolean }) => {
        const created = await createHandle(operatorUrl(o.url), {
          handle, name: o.name, ...(o.reportingCurrency && { reportingCurrency: o.reportingCurrency }),
        });
        if (o.json) return printJson(created);
        process.stderr.write(`Created handle ${created.handle} (${created.name}, ${created.reportingCurrency}). Owner token, shown once:\n`);
        process.stdout.write(`${created.ownerToken}\n`);
      }),
    );
}
