// Exit codes scripts can branch on: 0 ok, 1 the API (or the server) said no, 2 the command line or config is wrong.

export const EXIT_OK = 0;
export const EXIT_API = 1;
export const EXIT_USAGE = 2;

/** Something the user must fix in the command line or the stored credentials. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}

/** A non-2xx answer from the API; `message` is the contract's `error.message`. */
export class ApiError extends Error {
  readonly exitCode = EXIT_API;
  readonly status: number;
  readonly code: string;
  readonly details?: { pointer: string; message: string }[];
  constructor(
    status: number,
    code: string,
    message: string,
    details?: { pointer: string; message: string }[],
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The server could not be reached or answered something that is not the contract. */
export class ServerError extends Error {
  readonly exitCode = EXIT_API;
}

/**
 * Connected and sent, but no answer came in time (TENX_TIMEOUT): unlike "cannot reach", the server may have done what was
 * asked, so a command whose request is not safe to repeat as it stands says what to do (conversions record: its key).
 */
export class NoAnswerError extends ServerError {}

// What to do next, added to errors that name only what went wrong: the server's sentence says "the token
// was revoked" or "lacks the scope", the network says ECONNREFUSED; the user also needs to know which token
// or URL was used and how to change it.

const LOGIN = 'tenx login --url URL --handle HANDLE --token TOKEN';

/** After "cannot reach URL: CODE": why that usually happens and where the URL came from. */
export function unreachableHint(code: string): string {
  const where = 'check the URL: --url, TENX_URL or the one `tenx login` stored';
  if (code === 'ECONNREFUSED') return ` (nothing is listening there: is tenx running? ${where})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return ` (no such host: ${where})`;
  if (['ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return ` (is tenx up? ${where})`;
  return '';
}

/** Which token a handle command used (TENX_TOKEN, else the stored login's file), and how to replace it. */
function tokenAdvice(storedAt: string, env: NodeJS.ProcessEnv): { source: string; replace: string } {
  if (env.TENX_TOKEN) return { source: 'TENX_TOKEN', replace: 'set TENX_TOKEN to' };
  return { source: `the login stored in ${storedAt}`, replace: `log in (${LOGIN}) with` };
}

/** The API's 401/403 with what to do about it (`storedAt`: the credentials file); any other error unchanged. */
export function withCredentialHint(err: unknown, isPartner: boolean, storedAt: string, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!(err instanceof ApiError)) return err;
  const { source, replace } = tokenAdvice(storedAt, env);
  let hint = '';
  if (err.status === 401) hint = `The token is ${source}: ${replace} a valid one.`;
  // A rename or a loosening takes every scope (the owner's token): minting a token "with the scope" would not do (a CLI pass).
  else if (err.status === 403 && err.code === 'insufficient_scope' && /^(Renaming a handle|Loosening publicConversions)/.test(err.message)) hint = `The token is ${source}: ${replace} the owner token.`;
  else if (err.status === 403 && err.code === 'insufficient_scope') {
    hint = isPartner
      ? `The token is a partner token (${source}): ${replace} one that has the scope (the network issues it: tenx partners token PARTNER_ID --postbacks for partner.postbacks.write).`
      : `The token is ${source}: ${replace} one that has the scope (the owner token issues it: tenx tokens create --name NAME --scopes SCOPE).`;
  }
  else if (err.status === 403 && isPartner) hint = `The token is a partner token (${source}): this command needs a handle token: ${replace} the owner token or a PAT.`;
  else if (err.status === 404 && /^Handle not found/.test(err.message)) {
    // The API says no more (another tenant's existence is never revealed); what the CLI sent, it can say.
    hint = `The handle is ${env.TENX_HANDLE ? `TENX_HANDLE (${env.TENX_HANDLE})` : `the one of the login stored in ${storedAt}`}: handles are lower case, and a token works on its own handle only (${LOGIN} with the handle and one of its tokens).`;
  }
  return hint ? withHint(err, hint) : err;
}

/** The same API error, its sentence followed by what to do about it. */
export const withHint = (err: ApiError, hint: string) => new ApiError(err.status, err.code, `${err.message} ${hint}`, err.details);

/** One stderr line per failure (plus validation details), and the exit code that fits it. */
export function reportAndExit(err: unknown): never {
  const e = err as Error & { exitCode?: number; details?: { pointer: string; message: string }[] };
  process.stderr.write(`tenx: ${e?.message ?? String(err)}\n`);
  for (const d of e?.details ?? []) process.stderr.write(`  ${d.pointer}: ${d.message}\n`);
  process.exit(typeof e?.exitCode === 'number' ? e.exitCode : EXIT_API);
}
