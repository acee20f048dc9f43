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

/** One stderr line per failure (plus validation details), and the exit code that fits it. */
export function reportAndExit(err: unknown): never {
  const e = err as Error & { exitCode?: number; details?: { pointer: string; message: string }[] };
  process.stderr.write(`tenx: ${e?.message ?? String(err)}\n`);
  for (const d of e?.details ?? []) process.stderr.write(`  ${d.pointer}: ${d.message}\n`);
  process.exit(typeof e?.exitCode === 'number' ? e.exitCode : EXIT_API);
}
