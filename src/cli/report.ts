// The one place where a failure becomes what the user sees and the exit code: 1 error, 2 usage or cancelled,
// 4 authentication (as gh). One line on stderr (`error: ...`, then a hint), or with `-o json|yaml` one failure
// document on stdout. Details (the HTTP call, the stack) only with -v.
import { CommanderError } from 'commander';
import { ApiError, AuthError, CancelledError, DrgError, UsageError } from '../errors.js';
import { errorWords } from '../output/error-words.js';
import { escapeText } from '../output/escape.js';
import { Printer } from '../output/printer.js';
import type { IO } from './io.js';

const EXIT_ERROR = 1;
const EXIT_USAGE = 2;
const EXIT_AUTH = 4;

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return EXIT_USAGE;
  if (err instanceof UsageError || err instanceof CancelledError) return EXIT_USAGE;
  if (err instanceof AuthError) return EXIT_AUTH;
  if (err instanceof ApiError && err.credentialsRejected) return EXIT_AUTH;
  return EXIT_ERROR;
}

export interface ReportOptions {
  /** `json` or `yaml`: a failure document on stdout instead of a line on stderr. */
  document?: 'json' | 'yaml';
  verbose: boolean;
}

/** Reports `err`; returns the exit code. */
export async function reportError(err: unknown, io: IO, options: ReportOptions): Promise<number> {
  const code = exitCodeOf(err);
  const words = err instanceof CommanderError ? { message: err.message.replace(/^error: /, '') } : errorWords(err);
  const printer = new Printer(io.stdout, io.stderr, options.document ?? 'table', { now: Date.now, env: io.env });
  if (options.document) {
    const status = err instanceof DrgError ? err.httpStatus : undefined;
    await printer.document({
      status: 'failure',
      message: words.message,
      ...(status === undefined ? {} : { http_status: status }),
    });
  } else if (!(err instanceof CommanderError)) {
    // commander printed its own usage errors already.
    const unexpected = !(err instanceof DrgError) && !options.verbose;
    printer.error(words.message, words.hint ?? (unexpected ? '(run with -v for details)' : undefined));
  }
  if (options.verbose) io.stderr.write(details(err));
  return code;
}

/** The HTTP call behind an API failure (never its credentials), and the stack. */
function details(err: unknown): string {
  const lines: string[] = [];
  if (err instanceof ApiError) {
    const d = err.details;
    lines.push(`HTTP ${d.method} ${d.url} → ${d.status}${d.kind ? ` ${d.kind}` : ''}`);
    if (d.serverMessage) lines.push(`server message: ${escapeText(d.serverMessage)}`);
  }
  let cause: unknown = err;
  while (cause instanceof Error) {
    if (cause.stack) lines.push(escapeText(cause.stack));
    cause = cause.cause;
    if (cause instanceof Error) lines.push('caused by:');
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
