// The CLI's error taxonomy: what went wrong, in domain terms. Client, auth, config and resource code throw
// these; only src/cli/report.ts turns them into words on a terminal and an exit code (1 error, 2 usage or
// cancelled, 4 authentication), with src/output/error-words.ts for the wording of API failures.

export interface DrgErrorOptions {
  /** What to do about it, for people (one line). */
  hint?: string;
  cause?: unknown;
}

/** A failure whose message is meant for people as it is. Exit 1. */
export class DrgError extends Error {
  override name = 'DrgError';
  readonly hint: string | undefined;

  constructor(message: string, options: DrgErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }

  /** The HTTP status of the API call behind this failure, if any (`http_status` of `-o json`). */
  get httpStatus(): number | undefined {
    return this.cause instanceof DrgError ? this.cause.httpStatus : undefined;
  }
}

/** Wrong input (a name, a flag, a file) found before anything was sent or changed. Exit 2. */
export class UsageError extends DrgError {
  override name = 'UsageError';
  constructor(message: string, hint?: string) {
    super(message, { hint });
  }
}

/** The user stopped the command (an interrupted prompt or editor). Exit 2. */
export class CancelledError extends DrgError {
  override name = 'CancelledError';
}

/** The drg config file cannot be read, parsed, locked or written. Exit 1. */
export class ConfigError extends DrgError {
  override name = 'ConfigError';
}

/** Which credentials a request carried: what a 401 or 403 means depends on it. */
export type CredentialKind = 'none' | 'access-token' | 'oauth';

/** No usable credentials: no context, no login, or credentials the server or issuer rejected. Exit 4. */
export class AuthError extends DrgError {
  override name = 'AuthError';
}

/** What an API call was about, so that its failure can name it. */
export interface ApiSubject {
  kind: 'application' | 'device' | 'members' | 'transfer' | 'token';
  /** The application (for every kind but token). */
  app?: string;
  /** The device's name, or the token's prefix. */
  name?: string;
}

export type ApiAction = 'create' | 'read' | 'update' | 'delete';

export interface ApiErrorDetails {
  status: number;
  /** The server's error kind (`NotFound`, `Conflict`, `OptimisticLockFailed`, ...). */
  kind?: string;
  /** The server's own message, as sent (to be escaped before it reaches a terminal). */
  serverMessage?: string;
  method: string;
  /** Without credentials or query string. */
  url: string;
  /** The server's base URL, as the context names it. */
  baseUrl: string;
  credentials: CredentialKind;
  /** The context whose credentials were sent. */
  context?: string;
  subject?: ApiSubject;
  action?: ApiAction;
}

/** The server answered with an error status. Worded by src/output/error-words.ts. */
export class ApiError extends DrgError {
  override name = 'ApiError';
  readonly details: ApiErrorDetails;

  constructor(details: ApiErrorDetails) {
    const server = details.serverMessage ? `: ${details.serverMessage}` : '';
    super(
      `${details.method} ${details.url} answered ${details.status}${details.kind ? ` ${details.kind}` : ''}${server}`,
    );
    this.details = details;
  }

  get status(): number {
    return this.details.status;
  }

  override get httpStatus(): number {
    return this.details.status;
  }

  get credentialsRejected(): boolean {
    return credentialsRejected(this.status, this.details.serverMessage);
  }
}

/**
 * 401, or the bare 403 `{"error":"Forbidden"}` that answers credentials the server does not accept
 * (docs/drogue-api.md); a 403 with a message is about permissions, which new credentials would not change.
 */
export function credentialsRejected(status: number, serverMessage: string | undefined): boolean {
  return status === 401 || (status === 403 && !serverMessage?.trim());
}

/** Why a request got no (complete) answer. */
export type NetworkReason =
  | 'refused'
  | 'unknown-host'
  | 'reset'
  | 'connect-timeout'
  | 'idle-timeout'
  | 'deadline'
  | 'too-large'
  | 'tls'
  | 'proxy'
  | 'aborted'
  | 'too-many-redirects'
  | 'bad-url'
  | 'network';

/** The server could not be reached, or its answer could not be received. Exit 1. */
export class NetworkError extends DrgError {
  override name = 'NetworkError';
  constructor(
    readonly url: string,
    readonly reason: NetworkReason,
    readonly detail: string,
    options: DrgErrorOptions = {},
  ) {
    super(`cannot reach ${url}: ${detail}`, options);
  }
}

/** The server answered, but not as a Drogue Cloud API does (HTML, a non-JSON body, a missing field). Exit 1. */
export class ProtocolError extends DrgError {
  override name = 'ProtocolError';
}

/** Whether `err` is an API failure with this status. */
export function isApiStatus(err: unknown, status: number): err is ApiError {
  return err instanceof ApiError && err.status === status;
}
