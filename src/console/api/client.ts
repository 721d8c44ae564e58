// Calls of the public APIs as the logged-in user: JSON in and out, errors in the API's shape as ApiError.
import type { ErrorBody } from '../../model/resource.js';
import { accessToken } from '../auth/session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's error kind (`Conflict`, `NotFound`, ...), or `Network` when no answer came. */
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

interface RequestOptions {
  query?: Record<string, string | undefined>;
  /** Sent as JSON, unless it is a string, Blob or ArrayBuffer (then sent as is, with `contentType`). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

function urlOf(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

function bodyOf(options: RequestOptions): { body?: BodyInit; type?: string } {
  const { body, contentType } = options;
  if (body === undefined) return {};
  if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) {
    return { body: body as BodyInit, type: contentType };
  }
  return { body: JSON.stringify(body), type: 'application/json' };
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let parsed: ErrorBody | undefined;
  try {
    parsed = JSON.parse(text) as ErrorBody;
  } catch {
    parsed = undefined;
  }
  const kind = parsed?.error ?? response.statusText ?? 'Error';
  const message = parsed?.message ?? (text.trim().slice(0, 200) || `the server answered ${response.status}`);
  return new ApiError(response.status, kind, message);
}

async function send(method: string, path: string, options: RequestOptions, retried = false): Promise<Response> {
  const token = await accessToken({ forceRefresh: retried });
  if (!token) throw new ApiError(401, 'Unauthorized', 'You are logged out. Log in again.');
  const { body, type } = bodyOf(options);
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  headers.authorization = `Bearer ${token}`;
  if (type) headers['content-type'] = type;
  let response: Response;
  try {
    response = await fetch(urlOf(path, options.query), { method, headers, body });
  } catch {
    throw new ApiError(0, 'Network', 'The server cannot be reached. Check that drg serve is running.');
  }
  // An access token refused before its time (the server restarted with new keys, say): refreshed once.
  if (response.status === 401 && !retried) return send(method, path, options, true);
  return response;
}

/** A request whose answer is JSON (or empty); a status of 400 and more throws ApiError. */
export async function request<T = unknown>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const response = await send(method, path, options);
  if (response.status >= 400) throw await errorOf(response);
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('json');
  const body = (text && isJson ? JSON.parse(text) : text) as T;
  return { status: response.status, body, headers: response.headers };
}

export const api = {
  get: <T = unknown>(path: string, options?: RequestOptions) => request<T>('GET', path, options).then((r) => r.body),
  post: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, { ...options, body }),
  put: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PUT', path, { ...options, body }),
  patch: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PATCH', path, { ...options, body }),
  delete: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('DELETE', path, { ...options, body }),
};

/**
 * Writes `change(current)`; when that is refused as stale (409: someone else wrote since it was read), reads the
 * current version and writes the change onto it again, up to `attempts` writes in all. A change that returns
 * undefined writes nothing. Resolves with what was written, and whether it changed elsewhere meanwhile.
 */
export async function writeChange<T>(
  current: T,
  change: (base: T) => T | undefined,
  write: (next: T) => Promise<unknown>,
  reread: () => Promise<T>,
  attempts = 2,
): Promise<{ written?: T; retried: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const next = change(current);
    if (next === undefined) return { retried: attempt > 1 };
    try {
      await write(next);
      return { written: next, retried: attempt > 1 };
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409) || attempt >= attempts) throw err;
    }
    current = await reread();
  }
}

/** `/<base>/apps/<app>[/devices/<device>]` with each name percent-encoded. */
export function pathOf(base: string, ...segments: string[]): string {
  return [base, ...segments.map(encodeURIComponent)].join('/');
}

/** The message of any error, for people. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
