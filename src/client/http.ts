// The Drogue Cloud API client every API module uses: base URL, credentials, JSON in and out, and failures as
// typed errors (src/errors.ts: ApiError, NetworkError, ProtocolError) that src/output/error-words.ts words.
// The requests themselves (limits, timeouts, proxies, redirects, retries) are ./transport.ts's.
import type { IncomingHttpHeaders } from 'node:http';
import type { AccessTokenCredentials, Context, OAuthToken } from '../config/config.js';
import {
  type ApiAction,
  ApiError,
  type ApiErrorDetails,
  type ApiSubject,
  type CredentialKind,
  credentialsRejected,
  NetworkError,
  ProtocolError,
} from '../errors.js';
import type { ErrorBody } from '../model/resource.js';
import { type StreamBody, send, TransportError } from './transport.js';

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

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, with its content type, instead of a JSON `body` (a command's payload, a firmware image). */
  payload?: { data: string | Uint8Array | StreamBody; contentType?: string };
  /** More request headers. */
  headers?: Record<string, string>;
  /** The longest response body accepted (default: the transport's). */
  maxBytes?: number;
  /** Statuses that are not failures for this call (e.g. 404 for "ignore missing"). */
  accept?: number[];
  /** What the call is about, so that its failure can name it. */
  subject?: ApiSubject;
  action?: ApiAction;
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
  /** Which credentials `tokens` gives (what a 401 or 403 then means); default: none. */
  credentials?: CredentialKind;
  /** The context the credentials come from, for messages. */
  context?: string;
  /** No byte for this long ends a request (default: the transport's, 30 s). */
  idleTimeoutMs?: number;
  /** A whole request, its answer included, takes at most this long (default: the transport's, 120 s). */
  deadlineMs?: number;
}

/** One path segment: percent-encoded, and `.` and `..` too, which would otherwise be resolved away. */
export function pathSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  if (encoded === '.') return '%2E';
  if (encoded === '..') return '%2E%2E';
  return encoded;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly tokens: TokenProvider | undefined;
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.tokens = options.tokens;
    this.options = options;
  }

  /** The same credentials against another base URL (e.g. the registry's). */
  withBaseUrl(baseUrl: string): ApiClient {
    return new ApiClient({ ...this.options, baseUrl });
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

  /**
   * One call; throws an ApiError for any status >= 300 that is not in `accept`. `path` starts with `/` and is
   * sent as it is (its segments already encoded with `pathSegment`), after the base URL's own path.
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const { response, target } = await this.exchange(method, path, options);
    return { status: response.status, headers: response.headers, body: parseBody(response, target) as T | undefined };
  }

  /** A GET whose answer is bytes, not JSON (a firmware image); failures as `request`'s. */
  async getBytes(path: string, options: RequestOptions = {}): Promise<ApiResponse<Buffer>> {
    const { response } = await this.exchange('GET', path, options);
    return { status: response.status, headers: response.headers, body: response.data };
  }

  /** The call, once more after the credentials were refreshed; an ApiError for a status >= 300 not accepted. */
  private async exchange(method: string, path: string, options: RequestOptions) {
    const target = this.target(path, options.query);
    let response = await this.send(method, target, options);
    const errorBody = () => (response.status >= 300 ? parseBody(response, target) : undefined);
    if (credentialsRejected(response.status, messageOf(errorBody())) && (await this.tokens?.onUnauthorized?.())) {
      response = await this.send(method, target, options);
    }
    // A redirect that was not followed (e.g. a 302 to a POST) is a failure too.
    if (response.status >= 300 && !options.accept?.includes(response.status)) {
      const error = errorBody() as Partial<ErrorBody> | undefined;
      throw this.failure({
        status: response.status,
        kind: typeof error?.error === 'string' && error.error ? error.error : undefined,
        serverMessage: messageOf(error),
        method,
        url: `${this.baseUrl}${path}`,
        subject: options.subject,
        action: options.action,
      });
    }
    return { response, target };
  }

  /** The ApiError of a call with this client's credentials that answered with an error status (a WebSocket upgrade too). */
  failure(details: Omit<ApiErrorDetails, 'baseUrl' | 'credentials' | 'context'>): ApiError {
    return new ApiError({
      ...details,
      baseUrl: this.baseUrl,
      credentials: this.options.credentials ?? 'none',
      context: this.options.context,
    });
  }

  private target(path: string, query: Query | undefined): Target {
    const base = new URL(this.baseUrl);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.size > 0 ? `?${params}` : '';
    return { origin: base, path: `${base.pathname.replace(/\/+$/, '')}${path}${search}` };
  }

  private async send(method: string, target: Target, options: RequestOptions): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const authorization = await this.tokens?.authorization();
    if (authorization) headers.authorization = authorization;
    let payload: string | Uint8Array | StreamBody | undefined;
    if (options.payload !== undefined) {
      payload = options.payload.data;
      if (options.payload.contentType) headers['content-type'] = options.payload.contentType;
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    try {
      const response = await send({
        method,
        url: `${target.origin.origin}${target.path}`,
        headers,
        body: payload,
        maxBytes: options.maxBytes,
        idleTimeoutMs: this.options.idleTimeoutMs,
        deadlineMs: this.options.deadlineMs,
      });
      return { status: response.status, headers: response.headers, data: response.body };
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      throw new NetworkError(this.baseUrl, err.reason, err.message, { cause: err });
    }
  }
}

/** Where a request goes: the server's origin and the path (with query) exactly as sent. */
interface Target {
  origin: URL;
  path: string;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  data: Buffer;
}

/** The `message` of an error body. */
function messageOf(body: unknown): string | undefined {
  const message = (body as Partial<ErrorBody> | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * JSON when it parses; undefined when empty. A failure's text becomes its message; a successful answer that is
 * not JSON is not from a Drogue Cloud API.
 */
function parseBody(response: RawResponse, target: Target): unknown {
  const text = response.data.toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    if (response.status >= 300) return { error: '', message: text.slice(0, 200) };
    const type = String(response.headers['content-type'] ?? 'no content type').split(';')[0];
    throw new ProtocolError(
      `${target.origin.origin}${target.path.split('?')[0]} answered ${type}, not JSON: it is not a Drogue Cloud API endpoint`,
    );
  }
}
