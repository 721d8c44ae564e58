// drg serve's HTTP port as a component. It listens early, because the components after it need its URL (the
// embedded issuer's holds the port), and holds every request until the runtime opens it, once every component
// is ready; only GET /health is answered at once. Malformed HTTP is answered in the API's error shape here.
// It bounds what clients can hold: time to send a request, idle and silent connections, connections in all and
// per address, and, on stop, how long requests in flight may take before every connection is closed.
// With a TLS key and certificate it speaks HTTPS (drg serve's HTTPS device port), asking clients for a certificate.
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { RateLimitedLog } from '../log-limit.js';
import { type Component, type Health, StartError } from '../runtime.js';
import { JSON_TYPE } from './errors.js';

const HEALTH_PATH = '/health';

export interface HttpLimits {
  /** The request line and headers must arrive within this (ms). */
  headersTimeoutMs: number;
  /** The whole request, its body included, must arrive within this (ms). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** A connection on which nothing moves for this long (a client that stops reading a response) is closed (ms). */
  inactivityTimeoutMs: number;
  /** Connections beyond this many are closed as they come, so the process never runs out of file descriptors. */
  maxConnections: number;
  /** The same, per client address. */
  maxConnectionsPerAddress: number;
  /** On stop, requests in flight get this long to finish; then every connection left is closed (ms). */
  shutdownGraceMs: number;
}

/** What a slow real network still passes; README ("drg serve") documents them. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 30_000,
  inactivityTimeoutMs: 60_000,
  maxConnections: 1000,
  maxConnectionsPerAddress: 256,
  shutdownGraceMs: 5_000,
};

export interface ListenerOptions {
  /** 0 picks a free one. */
  port: number;
  /** Address (or host name) to listen on. */
  bind: string;
  /** What GET /health reports. */
  health: () => Health;
  /** Where refused connections, timeouts and clients gone mid-request are reported. */
  log: RateLimitedLog;
  limits?: Partial<HttpLimits>;
  /**
   * HTTPS with this key and certificate (PEM). Clients may present a certificate (a device's), which is not
   * checked here: its chain is the request socket's getPeerCertificate(true).
   */
  tls?: { key: string; cert: string };
}

export class HttpListener implements Component {
  readonly name = 'http-listener';
  readonly server: Server;
  private handler?: RequestListener;
  private held: Array<[IncomingMessage, ServerResponse]> | undefined = [];
  private address?: { url: string; port: number };
  private closing = false;
  /** The grace period of the stop is over: the connections left are being closed. */
  private closingAll = false;
  private readonly limits: HttpLimits;
  /** Open connections per client address. */
  private readonly perAddress = new Map<string, number>();
  /** Each connection's latest response. */
  private readonly responses = new WeakMap<Socket, ServerResponse>();
  /** Connections closed for a timeout (already logged). */
  private readonly timedOut = new WeakSet<Socket>();
  /** Requests whose response has not closed yet. */
  private inFlight = 0;

  constructor(private readonly options: ListenerOptions) {
    const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    this.limits = limits;
    const http = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How late a timeout may be noticed: a quarter of the headers timeout, at most a second.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      // Checked in onRequest, to answer in the API's error shape.
      requireHostHeader: false,
    };
    const onRequest: RequestListener = (req, res) => this.onRequest(req, res);
    this.server = options.tls
      ? createHttpsServer(
          // The handshake, before any header can arrive, gets the headers' time.
          {
            ...http,
            ...options.tls,
            requestCert: true,
            rejectUnauthorized: false,
            handshakeTimeout: limits.headersTimeoutMs,
          },
          onRequest,
        )
      : createServer(http, onRequest);
    this.server.timeout = limits.inactivityTimeoutMs;
    this.server.maxConnections = limits.maxConnections;
    this.server.on('drop', (data?: { remoteAddress?: string }) => {
      const message = `refused a connection: ${limits.maxConnections} are open (the limit)`;
      options.log.warn('connection-limit', { address: data?.remoteAddress }, message);
    });
    this.server.on('connection', (socket: Socket) => this.onConnection(socket));
    this.server.on('timeout', (socket: Socket) => this.onInactive(socket));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const error = err.code ?? err.message;
      options.log.warn('tls-handshake', { address: socket.remoteAddress, error }, 'a TLS handshake failed');
    });
  }

  /** `http://HOST:PORT` (https with TLS), where HOST is the bind address (loopback for a wildcard bind). */
  get url(): string {
    return this.listening().url;
  }

  get port(): number {
    return this.listening().port;
  }

  /** What answers the requests once open. */
  attach(handler: RequestListener): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    const { port, bind } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host: bind }, () => {
        this.server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      throw listenError(err, this.options);
    });
    // Once listening, an error is one connection's (accept: EMFILE): the port keeps serving.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      this.options.log.error(`listener-${err.code}`, { error: err.message }, 'cannot accept a connection');
    });
    const actual = (this.server.address() as AddressInfo).port;
    const scheme = this.options.tls ? 'https' : 'http';
    this.address = { url: `${scheme}://${urlHost(bind)}:${actual}`, port: actual };
  }

  open(): void {
    if (!this.handler) throw new Error('the HTTP listener has nothing to answer requests with');
    const held = this.held ?? [];
    this.held = undefined;
    for (const [req, res] of held) this.handler(req, res);
  }

  /**
   * Stops accepting connections; resolves once the requests in flight are answered and their connections closed
   * (a keep-alive connection is closed once idle), or once the grace period is over and every connection left is
   * closed. Held requests, and any that arrive meanwhile, get a 503.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const [, res] of this.held ?? []) unavailable(res);
    this.held = undefined;
    this.handler = undefined;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const { shutdownGraceMs } = this.limits;
    const grace = setTimeout(() => {
      if (this.inFlight > 0) {
        const message = `closing ${this.inFlight} request(s) not finished within ${shutdownGraceMs} ms of the stop`;
        this.options.log.warn('shutdown-grace', {}, message);
      }
      this.closingAll = true;
      this.server.closeAllConnections();
    }, shutdownGraceMs);
    await closed;
    clearTimeout(grace);
  }

  /** close() released the port. */
  stop(): void {}

  /** Counts the connection against its address's limit (the total is the server's maxConnections). */
  private onConnection(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const open = (this.perAddress.get(address) ?? 0) + 1;
    if (open > this.limits.maxConnectionsPerAddress) {
      const message = `refused a connection: ${this.limits.maxConnectionsPerAddress} are open from its address (the limit)`;
      this.options.log.warn('address-connection-limit', { address }, message);
      socket.destroy();
      return;
    }
    this.perAddress.set(address, open);
    socket.once('close', () => {
      const left = this.perAddress.get(address)! - 1;
      if (left === 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    this.responses.set(req.socket, res);
    res.once('finish', () => {
      if (this.closing) setImmediate(() => this.server.closeIdleConnections());
    });
    res.once('close', () => {
      this.inFlight--;
      if (!req.complete && !res.writableFinished) this.onGoneMidRequest(req);
    });
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      // RFC 9112: an HTTP/1.1 request without Host is answered with 400.
      const message = 'the request has no Host header, which HTTP/1.1 requires';
      sendJson(res, 400, { error: 'BadRequest', message }, { connection: 'close' });
    } else if (req.method === 'GET' && (req.url === HEALTH_PATH || req.url?.startsWith(`${HEALTH_PATH}?`))) {
      const health = this.options.health();
      sendJson(res, health.status === 'ready' ? 200 : 503, health);
    } else if (this.held) {
      this.held.push([req, res]);
    } else if (this.handler) {
      this.handler(req, res);
    } else {
      unavailable(res);
    }
  }

  /** Nothing moved on the connection for the inactivity timeout (or an idle keep-alive one timed out): closed. */
  private onInactive(socket: Socket): void {
    const res = this.responses.get(socket);
    if (res && !res.writableFinished) {
      const message = `closed a connection on which nothing moved for ${this.limits.inactivityTimeoutMs} ms`;
      this.options.log.warn('inactive', { address: socket.remoteAddress, path: res.req.url?.split('?')[0] }, message);
    }
    this.timedOut.add(socket);
    socket.destroy();
  }

  /** The connection closed before the request's body had arrived: the client went away (a timeout is logged apart). */
  private onGoneMidRequest(req: IncomingMessage): void {
    if (this.timedOut.has(req.socket) || this.closingAll) return;
    const path = req.url?.split('?')[0];
    this.options.log.warn('client-gone', { method: req.method, path }, 'the client went away mid-request');
  }

  /**
   * Malformed HTTP, or a request that did not arrive in time: answered in the API's error shape (unless a response
   * has begun on the connection), then the connection is closed.
   */
  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const res = this.responses.get(socket);
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) this.timedOut.add(socket);
    // A connection that sent nothing (a browser's speculative one) is closed without a word in the log.
    if (timedOut && socket.bytesRead > 0) {
      const { headersTimeoutMs, requestTimeoutMs } = this.limits;
      const body = res !== undefined && !res.req.complete;
      const message = body
        ? `closed a connection whose request body did not arrive within ${requestTimeoutMs} ms`
        : `closed a connection whose request headers did not arrive within ${headersTimeoutMs} ms`;
      this.options.log.warn(body ? 'body-timeout' : 'headers-timeout', { address: socket.remoteAddress }, message);
    }
    const responding = res?.headersSent && !res.writableEnded;
    if (socket.writable && !responding) {
      const [status, message] =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'the request headers are too large']
          : timedOut
            ? [408, 'the request took too long to arrive']
            : [400, 'malformed HTTP request'];
      const body = JSON.stringify({ error: 'BadRequest', message });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  }

  private listening(): { url: string; port: number } {
    if (!this.address) throw new Error('the HTTP listener is not listening');
    return this.address;
  }
}

function unavailable(res: ServerResponse): void {
  sendJson(res, 503, { error: 'ServiceUnavailable', message: 'drg serve is stopping' }, { connection: 'close' });
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listenError(err: unknown, { port, bind }: ListenerOptions): StartError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new StartError(`port ${port} on ${bind} is already in use`, 'address-in-use', { cause: err });
  }
  const why =
    code === 'EADDRNOTAVAIL'
      ? 'the address is not available on this machine'
      : code === 'ENOTFOUND'
        ? 'unknown host name'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
  return new StartError(`cannot listen on ${bind} port ${port}: ${why}`, 'listen', { cause: err });
}

/** The host part of the URL clients use: loopback for a wildcard bind, brackets around IPv6. */
function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}
