// The WebSocket integration (docs/drogue-api.md, "Integrations"): an application's events, one text frame each.
// A connection carries the context's credentials, goes through the environment's proxy (./proxy.ts), renews a
// bearer token on the socket before it expires (`{"RefreshAccessToken": ...}`), and is opened again, after a
// doubling pause, when it drops. Only `drg stream` loads this module, and `ws` with it.
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { REFRESH_MARGIN_MS } from '../auth/oauth-tokens.js';
import { AuthError, DrgError, NetworkError, type NetworkReason, ProtocolError } from '../errors.js';
import { type ApiClient, pathSegment } from './http.js';
import { agentFor } from './proxy.js';
import { pause } from './transport.js';

const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Three pings missed (the server pings every 5 s): the connection is dead. */
const IDLE_TIMEOUT_MS = 15_000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** A connection that lasted this long starts the retries from FIRST_RETRY_MS again. */
const STABLE_MS = 60_000;
/** An event is at most the payload limit (256 KiB by default) in base64, plus its attributes. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const MAX_REFUSAL_BYTES = 4096;
const CLOSE_WAIT_MS = 1000;
/** setTimeout's longest delay: a token that lives longer is renewed early. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The server's close codes that say the client spoke wrongly: another try would fail the same way. */
const PROTOCOL_CLOSES = new Set([1002, 1003, 1007]);

interface StreamTarget {
  /** `websocket_integration.url` of discovery. */
  integrationUrl: string;
  app: string;
  /** Only the events of this channel (the path `<app>/<channel>`). */
  channel?: string;
  /** A consumer group (`?group_id=`): its members share its events, and it resumes where it left off. */
  group?: string;
  /** Replay the events since then first (RFC 3339, `?since=`): drg serve's extension. */
  since?: string;
  /** Replay every event the server keeps first (`?from_start=true`): drg serve's extension. */
  fromStart?: boolean;
}

interface StreamOptions extends StreamTarget {
  /** Its token provider authorizes each connection; its credentials word a refusal. */
  api: ApiClient;
  /** The context the credentials are from, for the words of a refused token. */
  context: string;
  /** A fresh bearer token in place of `current`, for an OAuth context; sent on the socket before `current` expires. */
  renew?: (current: string) => Promise<string>;
  /** Ends the stream: the socket is closed normally and `streamEvents` resolves. */
  signal: AbortSignal;
  /** Silence (no ping, no event) after which a connection counts as dead. */
  idleTimeoutMs?: number;
}

interface StreamListener {
  /** A connection is up; `again` after a retry. */
  opened(again: boolean): void;
  /** An event, as the frame's text. */
  event(text: string): void;
  /** The connection dropped (`dropped`), or a retry failed: the next try is in `delayMs`. */
  retrying(reason: string, delayMs: number, dropped: boolean): void;
}

/**
 * `ws[s]://.../<app>[/<channel>]?group_id=..&since=..&from_start=true`. A retry leaves out `since` and `from_start`:
 * the group resumes where it left off, and a consumer without one would get its replay twice.
 */
function streamUrl(target: StreamTarget, retry: boolean): string {
  const base = target.integrationUrl.replace(/^http(s?):/i, 'ws$1:');
  if (!/^wss?:\/\/[^/]/i.test(base)) {
    throw new ProtocolError(`discovery names ${target.integrationUrl} for the WebSocket integration: not a ws(s) URL`);
  }
  const path = [target.app, ...(target.channel === undefined ? [] : [target.channel])].map(pathSegment).join('/');
  const query = new URLSearchParams();
  if (target.group !== undefined) query.set('group_id', target.group);
  if (!retry && target.since !== undefined) query.set('since', target.since);
  if (!retry && target.fromStart) query.set('from_start', 'true');
  return `${base}${base.endsWith('/') ? '' : '/'}${path}${query.size > 0 ? `?${query}` : ''}`;
}

/**
 * Streams events to `listener` until `signal` aborts. A failed first connection is an error; once connected, a
 * dropped connection is opened again after 1 s, 2 s, 4 s ... up to 30 s, until one succeeds. Refusals (credentials,
 * access, a missing application, a refused token) end the stream with an error whenever they come.
 */
export async function streamEvents(options: StreamOptions, listener: StreamListener): Promise<void> {
  const { WebSocket } = await import('ws');
  let connectedOnce = false;
  let failures = 0;
  while (!options.signal.aborted) {
    const started = Date.now();
    const end = await connect(WebSocket, options, listener, connectedOnce);
    if (end.stopped) return;
    if (!end.opened && !connectedOnce) throw end.error;
    if (end.opened) {
      connectedOnce = true;
      if (Date.now() - started >= STABLE_MS) failures = 0;
    }
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** failures++);
    listener.retrying(end.reason, delay, end.opened);
    await pause(delay, options.signal);
  }
}

type Ending = { stopped: true } | { stopped: false; opened: boolean; reason: string; error: DrgError };

/** One connection, until it ends: stopped, or dropped (to be retried); a refusal rejects. */
async function connect(
  Client: typeof WebSocket,
  options: StreamOptions,
  listener: StreamListener,
  retry: boolean,
): Promise<Ending> {
  const url = streamUrl(options, retry);
  const shown = url.split('?')[0];
  const authorization = await options.api.tokens?.authorization();
  let agent: Awaited<ReturnType<typeof agentFor>>;
  try {
    agent = await agentFor(new URL(url));
  } catch (err) {
    throw new NetworkError(shown, 'proxy', (err as Error).message);
  }
  const socket = new Client(url, {
    headers: authorization ? { authorization } : {},
    agent,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    maxPayload: MAX_FRAME_BYTES,
  });
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;

  return new Promise<Ending>((resolve, reject) => {
    let opened = false;
    let settled = false;
    let failure: NetworkError | undefined;
    let idle: NodeJS.Timeout | undefined;
    let renewal: NodeJS.Timeout | undefined;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(renewal);
      options.signal.removeEventListener('abort', stop);
      finish();
    };
    const refuse = (error: Error) => {
      socket.terminate();
      settle(() => reject(error));
    };
    const stop = () => {
      socket.close(1000);
      // A server that does not answer the close is not waited for.
      setTimeout(() => socket.terminate(), CLOSE_WAIT_MS).unref();
      settle(() => resolve({ stopped: true }));
    };
    const drop = (error: DrgError, reason: string) => settle(() => resolve({ stopped: false, opened, reason, error }));
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        failure = new NetworkError(shown, 'idle-timeout', `no ping from the server for ${idleTimeoutMs / 1000}s`);
        socket.terminate();
      }, idleTimeoutMs);
    };
    const renewBefore = (token: string) => {
      const times = options.renew && jwtTimes(token);
      if (!times) return;
      const margin = Math.min(REFRESH_MARGIN_MS, (times.exp - times.iat) / 2);
      renewal = setTimeout(
        () => {
          options.renew?.(token).then((fresh) => {
            if (settled) return;
            socket.send(JSON.stringify({ RefreshAccessToken: fresh }));
            renewBefore(fresh);
          }, refuse);
        },
        Math.min(MAX_TIMER_MS, Math.max(1000, times.exp - margin - Date.now())),
      );
    };

    options.signal.addEventListener('abort', stop, { once: true });
    // Stopped while the credentials were fetched.
    if (options.signal.aborted) stop();
    socket.on('unexpected-response', (_request, response) => {
      readRefusal(response).then((body) => {
        const error = upgradeRefusal(response.statusCode ?? 0, body, shown, options);
        socket.terminate();
        // A server that is restarting (502, 503) is worth another try once the stream was up.
        if ((response.statusCode ?? 0) >= 500) drop(error, `the server answered ${response.statusCode}`);
        else settle(() => reject(error));
      }, refuse);
    });
    socket.on('open', () => {
      opened = true;
      alive();
      if (authorization?.startsWith('Bearer ')) renewBefore(authorization.slice('Bearer '.length));
      listener.opened(retry);
    });
    socket.on('ping', alive);
    socket.on('message', (data: Buffer) => {
      alive();
      if (!options.signal.aborted) listener.event(data.toString('utf8'));
    });
    socket.on('error', (err) => {
      failure ??= networkError(shown, err);
    });
    socket.on('close', (code: number, reasonBytes: Buffer) => {
      const reason = reasonBytes.toString('utf8');
      if (code === 1008) return settle(() => reject(tokenRefused(options, reason)));
      if (PROTOCOL_CLOSES.has(code)) {
        return settle(() => reject(new ProtocolError(`${shown} closed the stream: ${closeText(code, reason)}`)));
      }
      const error = failure ?? new NetworkError(shown, 'reset', closeText(code, reason));
      drop(error, opened ? (failure?.detail ?? closeText(code, reason)) : error.detail);
    });
  });
}

/** What a refused upgrade means: the same words as an API call's failure, or the proxy's, or the missing extension. */
function upgradeRefusal(status: number, body: string, url: string, options: StreamOptions): DrgError {
  if (status === 407) return new NetworkError(url, 'proxy', 'the proxy asks for credentials (407)');
  const error = parseRefusal(body);
  const failure = options.api.failure({
    status,
    kind: error.kind,
    serverMessage: error.message,
    method: 'GET',
    url,
    subject: { kind: 'application', app: options.app },
    action: 'read',
  });
  if (status === 400 && (options.since !== undefined || options.fromStart)) {
    return new DrgError('the server refused to replay past events: --since and --from-start need drg serve', {
      hint: 'a Drogue Cloud streams the events from the moment drg connects (and a --group resumes where it left off)',
      cause: failure,
    });
  }
  return failure;
}

function parseRefusal(body: string): { kind?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    return {
      kind: typeof parsed.error === 'string' && parsed.error ? parsed.error : undefined,
      message: typeof parsed.message === 'string' ? parsed.message : undefined,
    };
  } catch {
    return { message: body.trim() ? body.slice(0, 200) : undefined };
  }
}

/** The first bytes of a refused upgrade's body (its error document). */
function readRefusal(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REFUSAL_BYTES) response.destroy();
    });
    response.on('close', () => resolve(Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BYTES).toString('utf8')));
    response.on('error', reject);
  });
}

/** Close 1008: the server refused the token, or it expired. */
function tokenRefused(options: StreamOptions, reason: string): AuthError {
  const { baseUrl } = options.api;
  return new AuthError(
    `${baseUrl} refused the credentials of context ${options.context} on the event stream${reason ? ` (${reason})` : ''}`,
    { hint: `log in again: drg login ${baseUrl} -c ${options.context}` },
  );
}

function closeText(code: number, reason: string): string {
  const words: Record<number, string> = {
    1000: 'closed by the server',
    1001: 'the server is going away',
    1006: 'connection lost',
    1011: "the server's event stream failed",
  };
  const what = words[code] ?? `closed with code ${code}`;
  return reason ? `${what}: ${reason}` : what;
}

/** A socket or handshake failure in the transport's words. */
function networkError(url: string, err: Error & { code?: string }): NetworkError {
  const byCode: Record<string, [NetworkReason, string]> = {
    ECONNREFUSED: ['refused', 'connection refused'],
    ENOTFOUND: ['unknown-host', 'unknown host'],
    EAI_AGAIN: ['unknown-host', 'host name lookup failed (temporarily)'],
    ECONNRESET: ['reset', 'connection reset'],
  };
  const known = err.code === undefined ? undefined : byCode[err.code];
  if (known) return new NetworkError(url, known[0], known[1], { cause: err });
  if (/handshake has timed out/.test(err.message)) {
    return new NetworkError(url, 'connect-timeout', `no connection within ${HANDSHAKE_TIMEOUT_MS / 1000}s`, {
      cause: err,
    });
  }
  if (err.code !== undefined && /^ERR_(TLS|SSL)_|CERT|SIGNATURE|ISSUER|^EPROTO$/.test(err.code)) {
    return new NetworkError(url, 'tls', `TLS: ${err.message}`, { cause: err });
  }
  return new NetworkError(url, 'network', err.message, { cause: err });
}

/** A JWT's `exp` and `iat` in ms (unverified: only to know when to renew it); undefined for other tokens. */
function jwtTimes(token: string): { exp: number; iat: number } | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    if (typeof claims?.exp !== 'number') return undefined;
    return { exp: claims.exp * 1000, iat: typeof claims.iat === 'number' ? claims.iat * 1000 : Date.now() };
  } catch {
    return undefined;
  }
}
