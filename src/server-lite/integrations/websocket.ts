// The WebSocket integration (docs/drogue-api.md, "Integrations"): applications consume their events over a WebSocket
// on the API's port, at `<websocket_integration.url><app>[/<channel>]`. Credentials and read access are checked
// before the upgrade (refusals are HTTP answers in the API's error shape); then one text frame per event, in log order,
// from the event bus: in a consumer group with `?group_id=`, else from the moment it connected (or `?since=`,
// `?from_start=true`, extensions for `drg stream`). An upgrade without any credentials (a browser's, which cannot
// set headers and puts no token in a URL) is taken, and its first message must bring the access token. The client
// may only refresh its token; the server pings and drops peers that stay silent.
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { WEBSOCKET_INTEGRATION_PATH } from '../../model/api-paths.js';
import type { Endpoints } from '../../model/endpoints.js';
import type { Consumer, EventBus, StartAt } from '../events/log.js';
import { gatherWrites } from '../gather-writes.js';
import { REGISTRY_STATUS } from '../http/errors.js';
import type { HttpListener } from '../http/listener.js';
import type { Authentication } from '../identity/authenticator.js';
import type { IdentityComponent } from '../identity/component.js';
import { IssuerUnavailableError } from '../identity/oidc/verifier.js';
import type { RateLimitedLog } from '../log-limit.js';
import type { DataPlaneCounters } from '../metrics.js';
import type { RegistryComponent } from '../registry/component.js';
import { RegistryError } from '../registry/errors.js';
import type { Component } from '../runtime.js';

/** WebSocket close codes (RFC 6455, 7.4.1). */
export const CLOSE = { goingAway: 1001, protocolError: 1002, policyViolation: 1008, internalError: 1011 } as const;

export interface WebSocketLimits {
  /** How often the server pings each peer (ms). */
  pingIntervalMs: number;
  /** A peer heard nothing from (no pong, no message) for this long is dropped (ms). */
  peerTimeoutMs: number;
  /** Events sent and not yet written to the socket, per connection. */
  maxInFlight: number;
  /** The largest message a client may send: a RefreshAccessToken with its JWT (bytes). */
  maxMessageBytes: number;
  /** On stop, how long peers get to answer the close before their sockets are destroyed (ms). */
  closeTimeoutMs: number;
  /** How long a connection upgraded without credentials waits for its access token, the first message (ms). */
  tokenWaitMs: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  pingIntervalMs: 5_000,
  peerTimeoutMs: 10_000,
  maxInFlight: 64,
  maxMessageBytes: 16 * 1024,
  closeTimeoutMs: 1_000,
  tokenWaitMs: 5_000,
};

export interface WebSocketIntegrationOptions {
  listener: HttpListener;
  identity: IdentityComponent;
  registry: RegistryComponent;
  /** The events component: its bus, once started. */
  events: { readonly bus: EventBus };
  /** Counts deliveries, slow consumers and dropped peers, for /metrics. */
  counters: DataPlaneCounters;
  logger: Pick<Logger, 'debug'>;
  /** Where refusals that point at a problem of the server are reported. */
  log: RateLimitedLog;
  limits?: Partial<WebSocketLimits>;
}

type UserAuthentication = Extract<Authentication, { outcome: 'user' }>;

/** What a client asked for, from the upgrade request's path and query. */
interface Subscription {
  app: string;
  channel?: string;
  group?: string;
  start?: StartAt;
}

/** An HTTP answer instead of the upgrade. */
class Refusal {
  constructor(
    readonly status: number,
    readonly body: object,
    readonly headers: Record<string, string> = {},
  ) {}
}

const badRequest = (message: string) => new Refusal(400, { error: 'BadRequest', message });

const EXPECTED_TOKEN = 'expected {"RefreshAccessToken": "<access token>"}';

/** What a Connection header names for an upgrade, dropped when the request is served as plain HTTP. */
const UPGRADE_TOKENS = new Set(['upgrade', 'http2-settings']);

/** setTimeout's longest delay; a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One WebSocket connection: its peer, its consumer and its token's expiry. */
class Session {
  consumer?: Consumer;
  /** When the peer was last heard from (ms, performance clock). */
  lastSeen = performance.now();
  private expiry?: NodeJS.Timeout;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly user: string,
    readonly app: string,
  ) {}

  /** Closes with 1008 once `expiresAt` (ms since the epoch) passes; undefined: the credentials do not expire. */
  expireAt(expiresAt: number | undefined): void {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    if (expiresAt === undefined) return;
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      this.close(CLOSE.policyViolation, 'the access token has expired');
      return;
    }
    this.expiry = setTimeout(() => this.expireAt(expiresAt), Math.min(wait, MAX_TIMER_MS));
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** The socket closed: nothing is delivered any more. */
  closed(): void {
    clearTimeout(this.expiry);
    this.consumer?.close();
  }
}

export class WebSocketIntegration implements Component {
  readonly name = 'websocket-integration';
  private readonly limits: WebSocketLimits;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  /** Connections upgraded without credentials, waiting for their access token. */
  private readonly awaitingToken = new Set<WebSocket>();
  /** Sockets whose upgrade is being checked. */
  private readonly upgrading = new Set<Socket>();
  private opened = false;
  private closing = false;
  /** Upgrades that arrived before open(), released by open() or close(). */
  private waiting: Array<() => void> = [];
  private pinger?: NodeJS.Timeout;
  /** When the pinger last ran (ms, performance clock). */
  private lastTick = performance.now();

  constructor(private readonly options: WebSocketIntegrationOptions) {
    this.limits = { ...DEFAULT_WEBSOCKET_LIMITS, ...options.limits };
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.limits.maxMessageBytes,
    });
  }

  /** Connections open now. */
  get connections(): number {
    return this.sessions.size;
  }

  /** `ws://HOST:PORT/api/integration/ws/v1alpha1/` on the API's port. */
  get url(): string {
    return `${this.options.listener.url.replace(/^http/, 'ws')}${WEBSOCKET_INTEGRATION_PATH}`;
  }

  start(): void {
    this.options.listener.server.on('upgrade', this.onUpgrade);
    this.lastTick = performance.now();
    this.pinger = setInterval(() => this.ping(), this.limits.pingIntervalMs);
  }

  open(): void {
    this.opened = true;
    this.release();
  }

  /** Refuses new upgrades, closes every connection (1001) and waits for them, destroying those that take too long. */
  async close(): Promise<void> {
    this.closing = true;
    this.release();
    for (const socket of this.upgrading) refuse(socket, unavailable());
    const sockets = [...[...this.sessions].map((s) => s.ws), ...this.awaitingToken];
    const closed = sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.close(CLOSE.goingAway, 'drg serve is stopping');
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.limits.closeTimeoutMs);
    });
    await Promise.race([Promise.all(closed), late]);
    clearTimeout(timer);
    for (const ws of sockets) ws.terminate();
    await Promise.all(closed);
  }

  stop(): void {
    clearInterval(this.pinger);
    this.options.listener.server.off('upgrade', this.onUpgrade);
    this.wss.close();
  }

  endpoints(): Endpoints {
    // The event log keeps events: a consumer may start in the past (?since=, ?from_start=).
    return { websocket_integration: { url: this.url }, event_replay: true };
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.url?.startsWith(WEBSOCKET_INTEGRATION_PATH)) {
      this.servePlainHttp(req, socket, head);
      return;
    }
    // The HTTP server no longer watches the socket: errors (a reset) and its closing are ours now.
    socket.on('error', () => socket.destroy());
    this.upgrading.add(socket);
    socket.once('close', () => this.upgrading.delete(socket));
    const go = () => {
      this.authorize(req).then(
        (accepted) => {
          // Refused meanwhile by close().
          if (socket.destroyed || socket.writableEnded) return;
          if (accepted instanceof Refusal) refuse(socket, accepted);
          else if (this.closing) refuse(socket, unavailable());
          else this.upgrade(req, socket, head, accepted.subscription, accepted.auth);
        },
        (err: unknown) => {
          const message = `a WebSocket upgrade failed: ${(err as Error).message}`;
          this.options.log.error('websocket-upgrade', { path: pathOf(req) }, message);
          refuse(socket, new Refusal(500, { error: 'Internal', message: 'internal error' }));
        },
      );
    };
    if (this.opened || this.closing) go();
    else this.waiting.push(go);
  };

  /**
   * Another upgrade (curl --http2 asks for `h2c`) or another path: served as the plain HTTP/1.1 request it also is,
   * the Upgrade ignored (RFC 9110, 7.8), by handing the connection back to the HTTP server with the request in front.
   * (The listener counts it against its address twice while it is open.)
   */
  private servePlainHttp(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (name === 'upgrade' || name === 'http2-settings') continue;
      let value = raw[i + 1];
      if (name === 'connection') {
        value = value
          .split(',')
          .map((token) => token.trim())
          .filter((token) => token !== '' && !UPGRADE_TOKENS.has(token.toLowerCase()))
          .join(', ');
        if (value === '') continue;
      }
      lines.push(`${raw[i]}: ${value}`);
    }
    // Header values arrive as latin1: the same bytes go back.
    socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
    this.options.listener.server.emit('connection', socket);
  }

  /** The subscription and who asked for it (undefined: no credentials, the first message brings them), or a refusal. */
  private async authorize(
    req: IncomingMessage,
  ): Promise<Refusal | { subscription: Subscription; auth: UserAuthentication | undefined }> {
    if (this.closing) return unavailable();
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(WEBSOCKET_INTEGRATION_PATH)) {
      return new Refusal(404, { error: 'NotFound', message: `no WebSocket API at ${url.pathname}` });
    }
    const subscription = parseSubscription(url);
    if (subscription instanceof Refusal) return subscription;
    let auth: Authentication;
    try {
      auth = await this.options.identity.authenticator.authenticate(req.headers.authorization, queryOf(url));
    } catch (err) {
      if (!(err instanceof IssuerUnavailableError)) throw err;
      const message = `cannot check the access token now: ${err.message}`;
      return new Refusal(503, { error: 'ServiceUnavailable', message }, { 'retry-after': '5' });
    }
    if (auth.outcome === 'anonymous') return { subscription, auth: undefined };
    // A token within the verifier's clock tolerance of its expiry is not taken either.
    if (auth.outcome === 'invalid' || (auth.expiresAt !== undefined && auth.expiresAt <= Date.now())) {
      return new Refusal(403, { error: 'Forbidden' });
    }
    try {
      this.options.registry.registry.applications.get({ user: auth.user }, subscription.app);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      return new Refusal(REGISTRY_STATUS[err.kind], { error: err.kind, message: err.message });
    }
    return { subscription, auth };
  }

  private mayRead(user: string, app: string): boolean {
    try {
      this.options.registry.registry.applications.get({ user }, app);
      return true;
    } catch (err) {
      if (err instanceof RegistryError) return false;
      throw err;
    }
  }

  private upgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    subscription: Subscription,
    auth: UserAuthentication | undefined,
  ): void {
    this.upgrading.delete(socket);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (auth) this.stream(ws, socket, subscription, auth);
      else this.awaitToken(ws, socket, subscription);
    });
  }

  /**
   * The first message must be `{"RefreshAccessToken": "<jwt>"}` with a token that the upgrade would have taken as
   * its Bearer token, of a user who may read the application, within tokenWaitMs; else 1008.
   */
  private awaitToken(ws: WebSocket, socket: Socket, subscription: Subscription): void {
    const { app } = subscription;
    this.awaitingToken.add(ws);
    let first = true;
    const refuse = (code: number, reason: string) => {
      this.options.logger.debug({ app, reason }, 'WebSocket consumer refused');
      ws.close(code, reason);
    };
    const timer = setTimeout(
      () => refuse(CLOSE.policyViolation, `no access token within ${this.limits.tokenWaitMs / 1000} s`),
      this.limits.tokenWaitMs,
    );
    const waited = () => {
      clearTimeout(timer);
      this.awaitingToken.delete(ws);
      ws.off('message', onMessage);
    };
    ws.once('close', waited);
    ws.on('error', () => {});
    const onMessage = (data: Buffer, isBinary: boolean) => {
      // A second message while the first is checked (a refresh racing it) is not needed.
      if (!first) return;
      first = false;
      clearTimeout(timer);
      const token = refreshToken(data, isBinary);
      if (token === undefined) {
        refuse(CLOSE.policyViolation, `${EXPECTED_TOKEN} first`);
        return;
      }
      Promise.resolve()
        .then(() => this.options.identity.authenticator.authenticate(`Bearer ${token}`, undefined))
        .then((auth) => {
          if (ws.readyState !== ws.OPEN) return;
          if (auth.outcome !== 'user' || (auth.expiresAt !== undefined && auth.expiresAt <= Date.now())) {
            refuse(CLOSE.policyViolation, 'the access token was refused');
            return;
          }
          try {
            this.options.registry.registry.applications.get({ user: auth.user }, app);
          } catch (err) {
            if (!(err instanceof RegistryError)) throw err;
            refuse(CLOSE.policyViolation, closeReason(err.message));
            return;
          }
          waited();
          ws.off('close', waited);
          this.stream(ws, socket, subscription, auth);
        })
        .catch((err: unknown) => {
          const unavailable = err instanceof IssuerUnavailableError;
          refuse(CLOSE.internalError, unavailable ? 'cannot check the access token now' : 'internal error');
        });
    };
    ws.on('message', onMessage);
  }

  /** The connection is authorized: its session, and the events. */
  private stream(ws: WebSocket, socket: Socket, subscription: Subscription, auth: UserAuthentication): void {
    const session = new Session(ws, socket, auth.user, subscription.app);
    this.sessions.add(session);
    ws.on('close', () => {
      this.sessions.delete(session);
      session.closed();
      this.options.logger.debug({ app: subscription.app, user: session.user }, 'WebSocket consumer left');
    });
    // A protocol violation (an oversized or malformed frame): ws closes the connection itself.
    ws.on('error', () => {});
    ws.on('pong', () => {
      session.lastSeen = performance.now();
    });
    ws.on('ping', () => {
      session.lastSeen = performance.now();
    });
    ws.on('message', (data, isBinary) => this.onMessage(session, data as Buffer, isBinary));
    session.expireAt(auth.expiresAt);
    if (ws.readyState !== ws.OPEN) return;
    this.consume(session, subscription);
    const { app, group, channel } = subscription;
    this.options.logger.debug({ app, channel, group, user: session.user }, 'WebSocket consumer joined');
  }

  /** Delivers the subscription's events to the session, at most maxInFlight not yet written to its socket. */
  private consume(session: Session, { app, channel, group, start }: Subscription): void {
    const { ws } = session;
    const { counters } = this.options;
    // The bus hands over events only once consume has returned.
    const consumer: Consumer = this.options.events.bus.consume({
      app,
      group,
      start,
      filter: channel === undefined ? undefined : (event) => event.subject === channel,
      maxInFlight: this.limits.maxInFlight,
      deliver: (event) => {
        gatherWrites(session.socket);
        ws.send(event.json, (err) => {
          if (err) return;
          consumer.ack(event.position);
          counters.delivered.websocket++;
        });
      },
      dropped: (reason) => {
        counters.slowConsumers.websocket++;
        session.consumer = undefined;
        session.close(CLOSE.internalError, closeReason(`the event stream failed: ${reason}`));
      },
    });
    session.consumer = consumer;
  }

  /**
   * Only `{"RefreshAccessToken": "<jwt>"}`: valid, for the same user, who may still read the application, else 1008;
   * anything else is a protocol error.
   */
  private onMessage(session: Session, data: Buffer, isBinary: boolean): void {
    session.lastSeen = performance.now();
    const token = refreshToken(data, isBinary);
    if (token === undefined) {
      this.options.counters.droppedConnections.websocket++;
      session.close(CLOSE.protocolError, EXPECTED_TOKEN);
      return;
    }
    // One refresh at a time: the peer's next messages wait in its socket.
    session.ws.pause();
    Promise.resolve()
      .then(() => this.options.identity.authenticator.authenticate(`Bearer ${token}`, undefined))
      .then((result) => {
        session.ws.resume();
        session.lastSeen = performance.now();
        const valid = result.outcome === 'user' && result.user === session.user && result.expiresAt !== undefined;
        if (valid && this.mayRead(session.user, session.app)) {
          session.expireAt(result.expiresAt);
        } else {
          session.close(CLOSE.policyViolation, 'the refreshed access token was refused');
        }
      })
      .catch((err: unknown) => {
        session.ws.resume();
        const message = err instanceof IssuerUnavailableError ? 'cannot check the access token now' : 'internal error';
        session.close(CLOSE.internalError, message);
      });
  }

  /** Pings every peer, and drops those silent for longer than the peer timeout. */
  private ping(): void {
    const now = performance.now();
    // After a stall of this process (the tick came late), the peers' pongs may still wait unread: nobody is dropped.
    const stalled = now - this.lastTick > 2 * this.limits.pingIntervalMs;
    this.lastTick = now;
    const silentSince = now - this.limits.peerTimeoutMs;
    for (const session of this.sessions) {
      if (session.lastSeen < silentSince && !stalled) {
        this.options.counters.droppedConnections.websocket++;
        session.ws.terminate();
      } else if (session.ws.readyState === session.ws.OPEN) session.ws.ping();
    }
  }
}

/** `<app>` or `<app>/<channel>` after the prefix, with `group_id`, `since` and `from_start`. */
function parseSubscription(url: URL): Subscription | Refusal {
  const segments = url.pathname.slice(WEBSOCKET_INTEGRATION_PATH.length).split('/');
  if (segments.length > 2 || segments.some((s) => s === '')) {
    const message = `expected ${WEBSOCKET_INTEGRATION_PATH}<application> or ${WEBSOCKET_INTEGRATION_PATH}<application>/<channel>`;
    return new Refusal(404, { error: 'NotFound', message });
  }
  let app: string;
  let channel: string | undefined;
  try {
    [app, channel] = segments.map(decodeURIComponent);
  } catch {
    return badRequest('the request path is not valid percent-encoded UTF-8');
  }
  const q = url.searchParams;
  for (const name of ['group_id', 'since', 'from_start']) {
    if (q.getAll(name).length > 1) return badRequest(`the query parameter ${name} is given more than once`);
  }
  const group = q.get('group_id') ?? undefined;
  if (group === '') return badRequest('the query parameter group_id is empty');
  const start = parseStart(q.get('since'), q.get('from_start'));
  if (start instanceof Refusal) return start;
  return { app, channel, group, start };
}

function parseStart(since: string | null, fromStart: string | null): StartAt | undefined | Refusal {
  if (fromStart !== null && fromStart !== 'true' && fromStart !== 'false') {
    return badRequest(`from_start must be true or false, not ${JSON.stringify(fromStart)}`);
  }
  if (since !== null && fromStart === 'true') return badRequest('give either since or from_start, not both');
  if (fromStart === 'true') return { kind: 'earliest' };
  if (since === null) return undefined;
  const time = parseTime(since);
  if (time === undefined) {
    return badRequest(
      `since must be an RFC 3339 time (2024-05-01T12:00:00Z) or milliseconds since the epoch, not ${JSON.stringify(since)}`,
    );
  }
  return { kind: 'since', time };
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** ms since the epoch, from RFC 3339 or a number of ms. */
function parseTime(value: string): number | undefined {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!RFC_3339.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** The credentials of the query, as the authenticator reads them (a repeated parameter is ambiguous: an array). */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of ['token', 'username', 'api_key']) {
    const values = url.searchParams.getAll(name);
    if (values.length > 0) query[name] = values.length === 1 ? values[0] : values;
  }
  return query;
}

/** The token of a `{"RefreshAccessToken": "<jwt>"}` message, else undefined. */
function refreshToken(data: Buffer, isBinary: boolean): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(isBinary ? new TextDecoder('utf-8', { fatal: true }).decode(data) : data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const keys = Object.keys(message);
  const token = (message as { RefreshAccessToken?: unknown }).RefreshAccessToken;
  return keys.length === 1 && typeof token === 'string' && token !== '' ? token : undefined;
}

function unavailable(): Refusal {
  return new Refusal(503, { error: 'ServiceUnavailable', message: 'drg serve is stopping' });
}

/** Answers the upgrade request with `refusal` and closes the connection. */
function refuse(socket: Socket, { status, body, headers }: Refusal): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/** A close reason fits in 123 bytes. */
function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0];
}
