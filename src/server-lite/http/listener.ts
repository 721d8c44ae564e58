// drg serve's HTTP port as a component. It listens early, because the components after it need its URL (the
// embedded issuer's holds the port), and holds every request until the runtime opens it, once every component
// is ready; only GET /health is answered at once. Malformed HTTP is answered in the API's error shape here.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Component, type Health, StartError } from '../runtime.js';
import { clientErrorHandler, JSON_TYPE } from './errors.js';

/** As fastify's default: idle keep-alive connections stay open this long. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
const HEALTH_PATH = '/health';

export interface ListenerOptions {
  /** 0 picks a free one. */
  port: number;
  /** Address (or host name) to listen on. */
  bind: string;
  /** What GET /health reports. */
  health: () => Health;
}

export class HttpListener implements Component {
  readonly name = 'http-listener';
  readonly server: Server;
  private handler?: RequestListener;
  private held: Array<[IncomingMessage, ServerResponse]> | undefined = [];
  private address?: { url: string; port: number };
  private closing = false;

  constructor(private readonly options: ListenerOptions) {
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.on('clientError', clientErrorHandler);
  }

  /** `http://HOST:PORT`, where HOST is the bind address (loopback for a wildcard bind). */
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
    const actual = (this.server.address() as AddressInfo).port;
    this.address = { url: `http://${urlHost(bind)}:${actual}`, port: actual };
  }

  open(): void {
    if (!this.handler) throw new Error('the HTTP listener has nothing to answer requests with');
    const held = this.held ?? [];
    this.held = undefined;
    for (const [req, res] of held) this.handler(req, res);
  }

  /**
   * Stops accepting connections; resolves once the requests in flight are answered and their connections closed
   * (a keep-alive connection is closed once idle). Held requests, and any that arrive meanwhile, get a 503.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const [, res] of this.held ?? []) unavailable(res);
    this.held = undefined;
    this.handler = undefined;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** close() released the port. */
  stop(): void {}

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    res.once('finish', () => {
      if (this.closing) setImmediate(() => this.server.closeIdleConnections());
    });
    if (req.method === 'GET' && (req.url === HEALTH_PATH || req.url?.startsWith(`${HEALTH_PATH}?`))) {
      const health = this.options.health();
      res.writeHead(health.status === 'ready' ? 200 : 503, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify(health));
    } else if (this.held) {
      this.held.push([req, res]);
    } else if (this.handler) {
      this.handler(req, res);
    } else {
      unavailable(res);
    }
  }

  private listening(): { url: string; port: number } {
    if (!this.address) throw new Error('the HTTP listener is not listening');
    return this.address;
  }
}

function unavailable(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': JSON_TYPE, connection: 'close' });
  res.end(JSON.stringify({ error: 'ServiceUnavailable', message: 'drg serve is stopping' }));
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
