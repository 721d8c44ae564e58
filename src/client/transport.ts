// HTTP requests for every client of drg: URLs, methods, headers and bodies, with size and time limits, the
// environment's proxies (./proxy.ts), redirects and retries; nothing of JSON, credentials or error wording.
// node:http(s), not the global fetch: fetch's first use costs ~50 ms on Node 20 and its keep-alive socket delays
// the exit of a short command. The HTTP stack loads with the first request (a command without one pays nothing
// for it), node:https for https URLs only.
import type { Agent, ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import type { NetworkReason } from '../errors.js';

const loadHttpStack = () => Promise.all([import('node:http'), import('node:stream'), import('./proxy.js')]);
let stack: ReturnType<typeof loadHttpStack> | undefined;

function httpStack(): ReturnType<typeof loadHttpStack> {
  stack ??= loadHttpStack();
  return stack;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_DEADLINE_MS = 120_000;
const DEFAULT_RETRIES = 2;
const MAX_REDIRECTS = 5;
const RETRY_BASE_MS = 200;

export interface TransportRequest {
  method: string;
  /** An http or https URL; its path and query are sent exactly as written (`%2E%2E` stays a name, not `..`). */
  url: string;
  headers?: Record<string, string>;
  /** Sent with a Content-Length; sent again on a retry or a 307/308 redirect. */
  body?: string | Uint8Array | StreamBody;
  /** The longest response body accepted; `send` defaults to DEFAULT_MAX_BYTES, `open` to none. */
  maxBytes?: number;
  /** From the start of an attempt until its connection is up (through the proxy's tunnel, if any). */
  connectTimeoutMs?: number;
  /** The longest silence of the connection, before and during the response. */
  idleTimeoutMs?: number;
  /** For the whole call (redirects, retries, the body); `send` defaults to DEFAULT_DEADLINE_MS, `open` to none. */
  deadlineMs?: number;
  /** Retries of a request that failed before a response, when that is safe (see `retryable`). */
  retries?: number;
  signal?: AbortSignal;
  /** Certificates to trust for https, instead of Node's bundled CAs. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Called before each retry, with the failure that caused it. */
  onRetry?: (error: TransportError, retry: number) => void;
}

/** A body read from a stream of `size` bytes; `open` makes a new one for each attempt (retries, 307/308). */
export interface StreamBody {
  size: number;
  open: () => Readable;
}

export interface TransportResponse<Body> {
  status: number;
  /** Lower-case header names. */
  headers: IncomingHttpHeaders;
  body: Body;
}

interface TransportErrorDetails {
  method: string;
  /** The URL that failed, without credentials and without the query string (it may hold tokens). */
  url: string;
  /** The proxy used, without credentials. */
  proxy?: string;
  /** Whether the request may have reached the server: false only when no connection was made. */
  requestSent: boolean;
  /** The status, when a response had arrived. */
  status?: number;
  /** The system's error code (ECONNREFUSED, EAI_AGAIN, ...), when there is one. */
  code?: string;
  cause?: unknown;
}

/** Why a request failed: `reason` for code, `message` a few plain words (`connection refused`). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly method: string;
  readonly url: string;
  readonly proxy: string | undefined;
  readonly requestSent: boolean;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(
    readonly reason: NetworkReason,
    message: string,
    details: TransportErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.method = details.method;
    this.url = details.url;
    this.proxy = details.proxy;
    this.requestSent = details.requestSent;
    this.status = details.status;
    this.code = details.code;
  }
}

/** One request and its whole body, read up to `maxBytes` within the deadline. */
export async function send(request: TransportRequest): Promise<TransportResponse<Buffer>> {
  const response = await open({
    ...request,
    maxBytes: request.maxBytes ?? DEFAULT_MAX_BYTES,
    deadlineMs: request.deadlineMs ?? DEFAULT_DEADLINE_MS,
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return { ...response, body: Buffer.concat(chunks) };
}

/**
 * One request, resolved once the response headers arrived; the body streams under the same idle timeout (and the
 * deadline and `maxBytes`, when given), and must be read to its end or destroyed. Redirects: 307/308 are followed
 * as they are, 301/302/303 for GET only, at most MAX_REDIRECTS; credentials (Authorization, Cookie) never follow a
 * redirect to another origin.
 */
export async function open(request: TransportRequest): Promise<TransportResponse<Readable>> {
  const call = startCall(request);
  try {
    let target = parseTarget(request.url);
    if (target === undefined) {
      const shown = request.url.split(/[?#]/)[0].replace(/\/\/[^/@]*@/, '//');
      throw new TransportError('bad-url', 'not a URL', { method: request.method, url: shown, requestSent: false });
    }
    let headers = request.headers ?? {};
    for (let redirects = 0; ; redirects++) {
      const response = await withRetries(call, target, headers);
      const next = redirectTarget(call, response, target);
      if (next === undefined) {
        response.body.once('close', call.end);
        return response;
      }
      response.body.destroy();
      if (redirects === MAX_REDIRECTS) {
        throw call.error('too-many-redirects', `more than ${MAX_REDIRECTS} redirects`, target, response.status);
      }
      if (next.server.origin !== target.server.origin) headers = withoutCredentials(headers);
      target = next;
    }
  } catch (err) {
    call.end();
    throw err;
  }
}

/** Where a request goes: the server (its scheme, host and port) and the path with its query, exactly as sent. */
interface Target {
  server: URL;
  path: string;
}

function parseTarget(url: string): Target | undefined {
  const match = /^([a-z][a-z\d+.-]*:\/\/[^/?#]*)([^#]*)/i.exec(url);
  if (!match || !URL.canParse(match[1])) return undefined;
  const path = match[2].startsWith('/') ? match[2] : `/${match[2]}`;
  return { server: new URL(match[1]), path };
}

interface Call {
  request: TransportRequest;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  deadlineAt: number | undefined;
  /** Aborted, with `aborted` or `deadline` as its reason, when the call must stop. */
  stopped: AbortSignal;
  end: () => void;
  error: (reason: NetworkReason, message: string, target: Target, status?: number) => TransportError;
}

function startCall(request: TransportRequest): Call {
  const stop = new AbortController();
  const onAbort = () => stop.abort('aborted');
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) onAbort();
  const deadline =
    request.deadlineMs === undefined ? undefined : setTimeout(() => stop.abort('deadline'), request.deadlineMs);
  return {
    request,
    connectTimeoutMs: request.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: request.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    deadlineAt: request.deadlineMs === undefined ? undefined : Date.now() + request.deadlineMs,
    stopped: stop.signal,
    end: () => {
      clearTimeout(deadline);
      request.signal?.removeEventListener('abort', onAbort);
    },
    error: (reason, message, target, status) =>
      new TransportError(reason, message, { method: request.method, url: redact(target), requestSent: true, status }),
  };
}

function redirectTarget(call: Call, response: TransportResponse<Readable>, from: Target): Target | undefined {
  const { status } = response;
  const location = response.headers.location;
  const follow =
    status === 307 || status === 308 || ([301, 302, 303].includes(status) && call.request.method === 'GET');
  if (!follow || !location) return undefined;
  const base = `${from.server.protocol}//${from.server.host}${from.path}`;
  if (!URL.canParse(location, base)) {
    response.body.destroy();
    throw call.error('bad-url', 'redirect to an invalid URL', from, status);
  }
  const next = new URL(location, base);
  return { server: next, path: `${next.pathname}${next.search}` };
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !['authorization', 'cookie'].includes(name.toLowerCase())),
  );
}

async function withRetries(
  call: Call,
  target: Target,
  headers: Record<string, string>,
): Promise<TransportResponse<Readable>> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(call, target, headers);
    } catch (err) {
      if (!(err instanceof TransportError) || !retryable(call.request.method, err)) throw err;
      if (retry >= (call.request.retries ?? DEFAULT_RETRIES)) throw err;
      const delay = RETRY_BASE_MS * 2 ** retry * (0.5 + Math.random() / 2);
      if (call.deadlineAt !== undefined && Date.now() + delay >= call.deadlineAt) throw err;
      call.request.onRetry?.(err, retry + 1);
      await pause(delay, call.stopped);
    }
  }
}

// Failures before any byte of the request left: retrying cannot repeat a change.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * GET and HEAD are retried after any connection failure before a response; PUT and DELETE only when the request
 * certainly did not reach the server (a PUT that did, with optimistic locking, would come back as a false 409);
 * other methods (POST) never. Timeouts of a connected request are not retried: the server is there, only slow.
 */
function retryable(method: string, error: TransportError): boolean {
  if (error.status !== undefined) return false;
  const notConnected =
    !error.requestSent && (error.reason === 'connect-timeout' || NOT_CONNECTED.has(error.code ?? ''));
  if (method === 'PUT' || method === 'DELETE') return notConnected;
  if (method === 'GET' || method === 'HEAD') return notConnected || DROPPED.has(error.code ?? '');
  return false;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * One request on one connection, resolved with the response headers; fails once the call is stopped. Through a
 * proxy, http goes as an absolute-form request to the proxy and https through a CONNECT tunnel.
 */
async function attempt(
  call: Call,
  target: Target,
  headers: Record<string, string>,
): Promise<TransportResponse<Readable>> {
  const { method, body: payload, maxBytes } = call.request;
  const { server, path } = target;
  let proxy: URL | undefined;
  let requestSent = false;
  let status: number | undefined;
  const failure = (reason: NetworkReason, message: string, more: Partial<TransportErrorDetails> = {}) =>
    new TransportError(reason, message, {
      method,
      url: redact(target),
      proxy: proxy && `${proxy.protocol}//${proxy.host}`,
      requestSent,
      status,
      ...more,
    });

  if (call.stopped.aborted) throw stopped(call, failure);
  if (server.protocol !== 'http:' && server.protocol !== 'https:') {
    throw failure('bad-url', `unsupported protocol ${server.protocol.slice(0, -1)}`);
  }
  const [http, streams, { proxyAuthorization, proxyFor, tunnelAgent }] = await httpStack();
  // Ends this attempt's connection, to the proxy too while the proxy has not answered yet.
  const finish = new AbortController();
  let agent: Agent | undefined;
  try {
    proxy = proxyFor(server);
    if (proxy && server.protocol === 'https:') agent = await tunnelAgent(proxy, finish.signal);
  } catch (err) {
    throw failure('proxy', (err as Error).message);
  }
  // The proxy that plain http goes to, as absolute-form requests.
  const via = server.protocol === 'http:' ? proxy : undefined;
  const peer = via ?? server;
  const sendRequest = peer.protocol === 'https:' ? (await import('node:https')).request : http.request;
  const sendHeaders: Record<string, string> = { ...headers };
  if (payload !== undefined) sendHeaders['content-length'] = String(bodySize(payload));
  if (via) {
    sendHeaders.host = server.host;
    const credentials = proxyAuthorization(via);
    if (credentials) sendHeaders['proxy-authorization'] = credentials;
  }

  return new Promise((resolve, reject) => {
    let body: Transform | undefined;
    const fail = (error: TransportError) => {
      if (finish.signal.aborted) return;
      end();
      if (body) body.destroy(error);
      else reject(error);
      req?.destroy();
    };
    const end = () => {
      finish.abort();
      clearTimeout(connectTimer);
      call.stopped.removeEventListener('abort', onStop);
    };
    const onStop = () => fail(stopped(call, failure));
    const connectTimer = setTimeout(
      () => fail(failure('connect-timeout', `no connection within ${duration(call.connectTimeoutMs)}`)),
      call.connectTimeoutMs,
    );
    call.stopped.addEventListener('abort', onStop, { once: true });
    if (call.stopped.aborted) return onStop();

    let req: ClientRequest | undefined;
    try {
      req = sendRequest({
        method,
        protocol: peer.protocol,
        hostname: peer.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: peer.port || undefined,
        path: via ? `${server.protocol}//${server.host}${path}` : path,
        headers: sendHeaders,
        // A proxy may close the connection after each answer without saying so (tinyproxy does): a request
        // sent on it meanwhile would fail, so plain http through a proxy never reuses a connection.
        agent: agent ?? (via ? false : undefined),
        ca: peer === server ? call.request.ca : undefined,
      });
    } catch (err) {
      return fail(failure('bad-url', (err as Error).message));
    }
    req.setTimeout(call.idleTimeoutMs, () =>
      fail(failure('idle-timeout', `no data for ${duration(call.idleTimeoutMs)}`)),
    );
    req.on('socket', (socket) => {
      const up = () => {
        requestSent = true;
        clearTimeout(connectTimer);
      };
      if (socket.connecting) socket.once('connect', up);
      else up();
    });
    // https-proxy-agent's answer to CONNECT; anything but 200 would otherwise pass for the server's response.
    req.on('proxyConnect', (answer: { statusCode?: number; statusText?: string }) => {
      if (answer.statusCode !== undefined && answer.statusCode !== 200) {
        status = answer.statusCode;
        fail(proxyRefusal());
      }
    });
    req.on('error', (err) => {
      const [reason, message] = describe(err);
      const code = errorCode(err);
      // Before the connection to the proxy (or the tunnel through it) was up, the failure is the proxy's.
      if (proxy && !requestSent) fail(failure('proxy', `proxy ${proxy.host}: ${message}`, { code, cause: err }));
      else fail(failure(reason, message, { code, cause: err }));
    });
    req.on('response', (res: IncomingMessage) => {
      status = res.statusCode ?? 0;
      if (via && status === 407) return fail(proxyRefusal());
      // A HEAD or 304 answer declares the length of a body it does not carry.
      const declared = method === 'HEAD' || status === 304 ? 0 : Number(res.headers['content-length']);
      if (maxBytes !== undefined && declared > maxBytes) return fail(tooLarge());
      let received = 0;
      body = new streams.Transform({
        transform(chunk: Buffer, _encoding, next) {
          received += chunk.length;
          next(maxBytes !== undefined && received > maxBytes ? tooLarge() : null, chunk);
        },
      });
      body.once('close', () => {
        end();
        if (!res.complete) res.destroy();
      });
      res.on('error', (err) => fail(failure(...describe(err), { code: errorCode(err), cause: err })));
      res.pipe(body);
      resolve({ status, headers: res.headers, body });
    });
    if (isStreamBody(payload)) {
      const source = payload.open();
      source.once('error', (err) => fail(failure('network', `cannot read the request body: ${err.message}`)));
      // An answer before the whole body was sent (a 413, say) ends the upload.
      finish.signal.addEventListener(
        'abort',
        () => {
          if (source.readableEnded) return;
          source.destroy();
          req?.destroy();
        },
        { once: true },
      );
      source.pipe(req);
    } else req.end(payload);

    function proxyRefusal(): TransportError {
      // tinyproxy, for one, answers wrong credentials with 401
      const message =
        status === 401 || status === 407
          ? `proxy ${proxy?.host}: ${proxy?.username ? 'credentials refused' : 'credentials required'} (${status})`
          : `proxy ${proxy?.host}: CONNECT answered with ${status}`;
      return failure('proxy', message);
    }
    function tooLarge(): TransportError {
      return failure('too-large', `response larger than ${size(maxBytes ?? 0)}`);
    }
  });
}

function isStreamBody(body: TransportRequest['body']): body is StreamBody {
  return typeof body === 'object' && 'open' in body;
}

function bodySize(body: NonNullable<TransportRequest['body']>): number {
  return isStreamBody(body) ? body.size : Buffer.byteLength(body);
}

function stopped(call: Call, failure: (reason: NetworkReason, message: string) => TransportError) {
  return call.stopped.reason === 'deadline'
    ? failure('deadline', `no complete response within ${duration(call.request.deadlineMs ?? 0)}`)
    : failure('aborted', 'aborted');
}

const TLS_CODE = /^ERR_(TLS|SSL)_|CERT|SIGNATURE|ISSUER|^EPROTO$/;

/** The reason and plain words for an error of a socket or of node:http. */
function describe(err: unknown): [NetworkReason, string] {
  const code = errorCode(err);
  const message = (err as Error)?.message ?? String(err);
  if (code === 'ECONNREFUSED') return ['refused', 'connection refused'];
  if (code === 'ENOTFOUND') return ['unknown-host', 'unknown host'];
  if (code === 'EAI_AGAIN') return ['unknown-host', 'host name lookup failed (temporarily)'];
  if (code !== undefined && DROPPED.has(code)) {
    if (message === 'socket hang up') return ['reset', 'connection closed before a response'];
    if (message === 'aborted') return ['reset', 'connection closed before the end of the response'];
    return ['reset', 'connection reset'];
  }
  if (code !== undefined && TLS_CODE.test(code)) return ['tls', `TLS: ${message}`];
  return ['network', code && !message.includes(code) ? `${code}: ${message}` : message];
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: { code?: unknown }[] };
  const code = e?.code ?? e?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A URL as errors show it: no credentials, no query string, no fragment. */
function redact({ server, path }: Target): string {
  return `${server.protocol}//${server.host}${path.split('?')[0]}`;
}

function duration(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function size(bytes: number): string {
  const units: [number, string][] = [
    [1024 * 1024, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [unit, name] of units) if (bytes >= unit) return `${Number((bytes / unit).toFixed(1))} ${name}`;
  return `${bytes} bytes`;
}
