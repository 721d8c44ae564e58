// The HTTP layer of every Drogue Cloud API client: base URL, credentials, JSON in and out, and errors
// mapped to one-line CliErrors (see ../output/errors.ts). Transport is node:http(s), not the global fetch:
// fetch's first use costs ~50 ms on Node 20 and its keep-alive socket delays the exit of a short command.
import { type RequestOptions as HttpOptions, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AccessTokenCredentials, Context, OAuthToken } from '../config/config.js';
import type { ErrorBody } from '../model/resource.js';
import { type ApiFailureContext, apiFailure, unreachable } from '../output/errors.js';

/**
 * Where the Authorization header comes from. OAuth contexts (../auth/oauth-tokens.ts) refresh tokens before a call,
 * and once after the server rejected the credentials (`onUnauthorized` resolving true retries the call once).
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
  /** Lower-case header names. */
  headers: IncomingHttpHeaders;
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

  /** One call; throws a CliError (with `httpStatus`) for any status >= 300 that is not in `accept`. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    let response = await this.send(method, url, options);
    if (credentialsRejected(response) && (await this.tokens?.onUnauthorized?.())) {
      response = await this.send(method, url, options);
    }
    const body = parseBody(response);
    // A redirect that was not followed (e.g. a 302 to a POST) is a failure too.
    if (response.status >= 300 && !options.accept?.includes(response.status)) {
      throw apiFailure(response.status, body as ErrorBody | undefined, { ...options, url: this.baseUrl });
    }
    return { status: response.status, headers: response.headers, body: body as T | undefined };
  }

  private async send(method: string, url: string, options: RequestOptions): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = await this.tokens?.authorization();
    if (authorization) headers.authorization = authorization;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    try {
      return await exchange(method, new URL(url), headers, payload, this.timeoutMs);
    } catch (err) {
      throw unreachable(this.baseUrl, networkReason(err, this.timeoutMs));
    }
  }
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const MAX_REDIRECTS = 5;

/**
 * One request and its whole response, following redirects: 307/308 as they are, 301/302/303 for GET only.
 * Credentials never follow a redirect to another origin.
 */
async function exchange(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payload: string | undefined,
  timeoutMs: number,
  redirects = 0,
): Promise<RawResponse> {
  const response = await once(method, url, headers, payload, timeoutMs);
  const location = response.headers.location;
  const follow =
    response.status === 307 ||
    response.status === 308 ||
    ([301, 302, 303].includes(response.status) && method === 'GET');
  if (!location || !follow || redirects >= MAX_REDIRECTS) return response;
  const next = new URL(location, url);
  const nextHeaders = { ...headers };
  if (next.origin !== url.origin) delete nextHeaders.authorization;
  return exchange(method, next, nextHeaders, payload, timeoutMs, redirects + 1);
}

async function once(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payload: string | undefined,
  timeoutMs: number,
): Promise<RawResponse> {
  const send = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const options: HttpOptions = {
    method,
    headers: payload === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
  };
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * 401, or the 403 with the bare `{"error":"Forbidden"}` that answers invalid credentials (API.md); a 403 with a
 * message is about permissions, which new credentials would not change.
 */
function credentialsRejected(response: RawResponse): boolean {
  if (response.status === 401) return true;
  if (response.status !== 403) return false;
  const body = parseBody(response) as { message?: unknown } | undefined;
  return typeof body !== 'object' || body === null || body.message === undefined || body.message === '';
}

/** JSON when it parses; else the text (an error's text becomes its message); undefined when empty. */
function parseBody(response: RawResponse): unknown {
  const text = response.text;
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return response.status >= 400 ? { error: '', message: text.slice(0, 200) } : text;
  }
}

/** Why a request failed, in a few words. */
export function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError') {
    return `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)}s` : `${timeoutMs}ms`}`;
  }
  if (e?.code === 'ECONNREFUSED') return 'connection refused';
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return 'unknown host';
  if (e?.code === 'ECONNRESET') return 'connection reset';
  if (e?.code) return `${e.code}${e.message ? ` (${e.message})` : ''}`;
  return e?.message ?? String(err);
}
