// The HTTP layer of every Drogue Cloud API client: base URL, credentials, JSON in and out, and errors
// mapped to one-line CliErrors (see ../output/errors.ts).
import type { AccessTokenCredentials, Context, OAuthToken } from '../config/config.js';
import type { ErrorBody } from '../model/resource.js';
import { type ApiFailureContext, apiFailure, unreachable } from '../output/errors.js';

/**
 * Where the Authorization header comes from. The OIDC session (identity issue) implements this to refresh
 * tokens before a call, and to refresh once after a 401 (`onUnauthorized` resolving true retries the call once).
 */
export interface TokenProvider {
  authorization(): Promise<string | undefined>;
  onUnauthorized?(): Promise<boolean>;
}

/** A fixed header from the context's token: `{id, token}` → Basic, `{access_token}` → Bearer. */
export function staticTokenProvider(token: Context['token']): TokenProvider {
  const header = authorizationHeader(token);
  return { authorization: async () => header };
}

export function authorizationHeader(token: Context['token']): string | undefined {
  if (!token) return undefined;
  const access = token as Partial<AccessTokenCredentials>;
  if (typeof access.id === 'string' && typeof access.token === 'string') {
    return `Basic ${Buffer.from(`${access.id}:${access.token}`).toString('base64')}`;
  }
  const oauth = token as Partial<OAuthToken>;
  if (typeof oauth.access_token === 'string') return `Bearer ${oauth.access_token}`;
  return undefined;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions extends ApiFailureContext {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Statuses that are not failures for this call (e.g. 404 for "ignore missing"). */
  accept?: number[];
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when the response has none. */
  body: T | undefined;
}

export interface ApiClientOptions {
  /** The server's base URL; request paths are appended to it. */
  baseUrl: string;
  tokens?: TokenProvider;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly tokens: TokenProvider | undefined;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.tokens = options.tokens;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The same credentials against another base URL (e.g. the registry's). */
  withBaseUrl(baseUrl: string): ApiClient {
    return new ApiClient({ baseUrl, tokens: this.tokens, timeoutMs: this.timeoutMs });
  }

  /** A full URL for `path` (which starts with `/`) and the query parameters that are set. */
  url(path: string, query?: Query): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  get<T>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, options);
  }
  post<T>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, options);
  }
  put<T>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('PUT', path, options);
  }
  delete<T>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }

  /** One call; throws a CliError (with `httpStatus`) for any status >= 400 that is not in `accept`. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    let response = await this.send(method, url, options);
    if (response.status === 401 && (await this.tokens?.onUnauthorized?.())) {
      await response.body?.cancel();
      response = await this.send(method, url, options);
    }
    const body = await readBody(response);
    if (response.status >= 400 && !options.accept?.includes(response.status)) {
      throw apiFailure(response.status, body as ErrorBody | undefined, { ...options, url: this.baseUrl });
    }
    return { status: response.status, headers: response.headers, body: body as T | undefined };
  }

  private async send(method: string, url: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = await this.tokens?.authorization();
    if (authorization) headers.authorization = authorization;
    let payload: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.body);
    }
    try {
      return await fetch(url, {
        method,
        headers,
        body: payload,
        redirect: 'follow',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw unreachable(this.baseUrl, networkReason(err, this.timeoutMs));
    }
  }
}

/** JSON when the response declares it (or looks like it); else the text; undefined when empty. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return response.status >= 400 ? { error: '', message: text.slice(0, 200) } : text;
  }
}

/** Why fetch failed, in a few words (Node's fetch hides the socket error in `cause`). */
export function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') {
    return `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)}s` : `${timeoutMs}ms`}`;
  }
  const cause = e?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND') return 'unknown host';
  if (cause?.code === 'ECONNRESET') return 'connection reset';
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? e?.message ?? String(err);
}
