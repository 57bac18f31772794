/** Exit codes of every `kami` command (documented in `kami --help`). */
export const ExitCode = {
  Ok: 0,
  /** The batch ended in status `failed`. */
  BatchFailed: 1,
  /** Bad arguments, a missing file, a missing or unreadable configuration. */
  Usage: 2,
  /** The API answered with an error, or could not be reached. */
  Api: 3,
  /** A bug in the CLI (EX_SOFTWARE). */
  Internal: 70,
  /** Interrupted with Ctrl-C. */
  Interrupted: 130,
} as const;

/** An error the user can fix on their side; printed as `error: <message>`, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.Usage;
}
