// The Drogue Cloud API client every API module uses: base URL, credentials, JSON in and out, and failures as
// typed errors (src/errors.ts: ApiError, NetworkError, ProtocolError) that src/output/error-words.ts words.
// Transport is node:http(s), not the global fetch: fetch's first use costs ~50 ms on Node 20 and its
// keep-alive socket delays the exit of a short command.
import { type RequestOptions as HttpOptions, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AccessTokenCredentials, Context, OAuthToken } from '../config/config.js';
import {
  type ApiAction,
  ApiError,
  type ApiSubject,
  type CredentialKind,
  NetworkError,
  type NetworkReason,
  ProtocolError,
} from '../errors.js';
import type { ErrorBody } from '../model/resource.js';

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
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
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
    const target = this.target(path, options.query);
    let response = await this.send(method, target, options);
    if (credentialsRejected(response) && (await this.tokens?.onUnauthorized?.())) {
      response = await this.send(method, target, options);
    }
    const body = parseBody(response, target);
    // A redirect that was not followed (e.g. a 302 to a POST) is a failure too.
    if (response.status >= 300 && !options.accept?.includes(response.status)) {
      const error = body as Partial<ErrorBody> | undefined;
      throw new ApiError({
        status: response.status,
        kind: typeof error?.error === 'string' && error.error ? error.error : undefined,
        serverMessage: typeof error?.message === 'string' ? error.message : undefined,
        method,
        url: `${this.baseUrl}${path}`,
        baseUrl: this.baseUrl,
        credentials: this.options.credentials ?? 'none',
        context: this.options.context,
        subject: options.subject,
        action: options.action,
      });
    }
    return { status: response.status, headers: response.headers, body: body as T | undefined };
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
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = await this.tokens?.authorization();
    if (authorization) headers.authorization = authorization;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    try {
      return await exchange(method, target, headers, payload, timeoutMs);
    } catch (err) {
      const [reason, detail] = networkReason(err, timeoutMs);
      throw new NetworkError(this.baseUrl, reason, detail);
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
  text: string;
}

const MAX_REDIRECTS = 5;

/**
 * One request and its whole response, following redirects: 307/308 as they are, 301/302/303 for GET only.
 * Credentials never follow a redirect to another origin.
 */
async function exchange(
  method: string,
  target: Target,
  headers: Record<string, string>,
  payload: string | undefined,
  timeoutMs: number,
  redirects = 0,
): Promise<RawResponse> {
  const response = await once(method, target, headers, payload, timeoutMs);
  const location = response.headers.location;
  const follow =
    response.status === 307 ||
    response.status === 308 ||
    ([301, 302, 303].includes(response.status) && method === 'GET');
  if (!location || !follow || redirects >= MAX_REDIRECTS) return response;
  const next = new URL(location, new URL(target.path, target.origin));
  const nextHeaders = { ...headers };
  if (next.origin !== target.origin.origin) delete nextHeaders.authorization;
  return exchange(
    method,
    { origin: next, path: `${next.pathname}${next.search}` },
    nextHeaders,
    payload,
    timeoutMs,
    redirects + 1,
  );
}

async function once(
  method: string,
  target: Target,
  headers: Record<string, string>,
  payload: string | undefined,
  timeoutMs: number,
): Promise<RawResponse> {
  const { origin } = target;
  const send = origin.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const options: HttpOptions = {
    method,
    protocol: origin.protocol,
    hostname: origin.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: origin.port || undefined,
    path: target.path,
    headers: payload === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
  };
  return new Promise((resolve, reject) => {
    const req = send(options, (res) => {
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
  const body = safeJson(response.text) as { message?: unknown } | undefined;
  return typeof body !== 'object' || body === null || body.message === undefined || body.message === '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * JSON when it parses; undefined when empty. A failure's text becomes its message; a successful answer that is
 * not JSON is not from a Drogue Cloud API.
 */
function parseBody(response: RawResponse, target: Target): unknown {
  const text = response.text;
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

/** Why a request failed: its kind, and a few words. */
export function networkReason(err: unknown, timeoutMs: number): [NetworkReason, string] {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError') {
    return [
      'idle-timeout',
      `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)}s` : `${timeoutMs}ms`}`,
    ];
  }
  if (e?.code === 'ECONNREFUSED') return ['refused', 'connection refused'];
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return ['unknown-host', 'unknown host'];
  if (e?.code === 'ECONNRESET') return ['reset', 'connection reset'];
  if (e?.code) return ['other', `${e.code}${e.message ? ` (${e.message})` : ''}`];
  return ['other', e?.message ?? String(err)];
}
