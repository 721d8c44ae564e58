// Errors the CLI reports as one line (with a hint), and their exit codes.

export class CliError extends Error {
  constructor(
    message: string,
    readonly options: { hint?: string; exitCode?: number; httpStatus?: number } = {},
  ) {
    super(message);
  }
  get exitCode(): number {
    return this.options.exitCode ?? 1;
  }
}

/** Bad usage detected before any request (invalid name, malformed file, unknown flag value). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
  }
}
