// Errors the CLI reports as one line (with a hint), and their exit codes.
import type { ErrorBody } from '../model/resource.js';

export interface CliErrorOptions {
  hint?: string;
  exitCode?: number;
  /** The HTTP status of the failed API call, reported as `http_status` with `-o json`. */
  httpStatus?: number;
  /** The server's error kind (`NotFound`, `Conflict`, `OptimisticLockFailed`, ...). */
  errorKind?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly options: CliErrorOptions = {},
  ) {
    super(message);
  }
  get exitCode(): number {
    return this.options.exitCode ?? 1;
  }
  get httpStatus(): number | undefined {
    return this.options.httpStatus;
  }
}

/** Bad usage detected before any request (invalid name, malformed file, unknown flag value). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
  }
}

/** What a failed call was about, so its error can name it. */
export interface ApiFailureContext {
  /** e.g. `application 'foo'` or `device 'd1' in application 'foo'`. */
  subject?: string;
  action?: 'create' | 'read' | 'update' | 'delete';
}

/** The one-line error for a failed API call (never containing credentials). */
export function apiFailure(status: number, body: ErrorBody | undefined, context: ApiFailureContext & { url: string }) {
  const options: CliErrorOptions = { httpStatus: status, errorKind: body?.error || undefined };
  const serverMessage = body?.message?.trim();
  const subject = context.subject;
  switch (status) {
    case 401:
      return new CliError(`not logged in to ${context.url}: run \`drg login ${context.url}\``, options);
    case 403:
      return new CliError('forbidden: your credentials were rejected or you lack access', {
        ...options,
        hint: subject
          ? `(${subject}: check the context with \`drg whoami\` and the application's members)`
          : '(check the context with `drg whoami`)',
      });
    case 404:
      return new CliError(subject ? `${subject} not found` : serverMessage || 'not found', options);
    case 409:
      if (body?.error === 'OptimisticLockFailed' || context.action === 'update' || context.action === 'delete') {
        return new CliError(
          `${subject ?? 'the resource'} was changed by someone else since it was read: read it again and retry`,
          options,
        );
      }
      if (subject && context.action === 'create') return new CliError(`${subject} already exists`, options);
      return new CliError(`conflict: ${serverMessage || `${subject ?? 'the resource'} changed or exists`}`, options);
    case 400:
      return new CliError(serverMessage || 'the server rejected the request as invalid', options);
    default:
      return new CliError(
        `the server answered ${status}${serverMessage ? `: ${serverMessage}` : ''}${subject ? ` (${subject})` : ''}`,
        options,
      );
  }
}

/** The server could not be reached at all. */
export function unreachable(url: string, reason: string): CliError {
  return new CliError(`cannot reach ${url}: ${reason}; is the server running?`);
}
