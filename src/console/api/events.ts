// An application's live events through the WebSocket integration. A browser cannot set headers and no token goes in
// a URL: the socket opens without credentials and its first message is {"RefreshAccessToken": "<jwt>"}; a fresh one
// follows before each token expires. A closed stream is opened again, after 1, 2, 4 … at most 30 s; a close for
// a refused token (1008) first gets a fresh token. Events arrive faster than a page can render them: they wait in
// a bounded queue that the page drains once per animation frame.
import { WEBSOCKET_INTEGRATION_PATH } from '../../model/api-paths.js';
import type { CloudEvent } from '../../model/cloudevents.js';
import { accessToken, discovery } from '../auth/session.js';

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; reason: string; inSeconds: number }
  | { kind: 'stopped'; reason: string };

/** Events not yet taken by the page beyond this many: the oldest go (and are counted). */
export const QUEUE_LIMIT = 2_000;
/** A token is sent again this long before it expires (the session refreshes it 30 s before). */
const REFRESH_BEFORE_MS = 25_000;
/** Without an `exp` to go by, the token is sent again this often. */
const REFRESH_EVERY_MS = 60_000;
const BACKOFF_MAX_MS = 30_000;
/** A stream live this long counts as good: the next failure retries after 1 s again. */
const STABLE_MS = 10_000;
const POLICY_VIOLATION = 1008;

export interface EventStream {
  /** The events received since the last take, oldest first, and how many were dropped for the queue's bound. */
  take(): { events: CloudEvent[]; dropped: number };
  close(): void;
}

/** The URL of the app's stream: discovery's `websocket_integration`, else this origin's; never a credential. */
export async function streamUrl(app: string): Promise<string> {
  const base =
    (await discovery()).websocket_integration?.url ??
    `${location.origin.replace(/^http/, 'ws')}${WEBSOCKET_INTEGRATION_PATH}`;
  return `${base.replace(/^http/, 'ws')}${encodeURIComponent(app)}`;
}

/** When the JWT expires (ms), read from its payload; undefined when it says nothing. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(event: CloseEvent): string {
  if (event.reason) return event.reason;
  if (event.code === 1006) return 'the connection was lost';
  return `closed (${event.code})`;
}

export function openEventStream(app: string, onState: (state: StreamState) => void): EventStream {
  let queue: CloudEvent[] = [];
  let dropped = 0;
  let socket: WebSocket | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let liveSince = 0;
  let closed = false;

  const sendToken = async (ws: WebSocket, forceRefresh = false) => {
    const token = await accessToken({ forceRefresh });
    if (ws !== socket || ws.readyState !== WebSocket.OPEN) return;
    if (!token) {
      stop('You are logged out.');
      return;
    }
    ws.send(JSON.stringify({ RefreshAccessToken: token }));
    const expiry = expiryOf(token);
    const wait = expiry === undefined ? REFRESH_EVERY_MS : Math.max(1_000, expiry - Date.now() - REFRESH_BEFORE_MS);
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void sendToken(ws), wait);
  };

  const stop = (reason: string) => {
    closed = true;
    clearTimeout(refreshTimer);
    clearTimeout(retryTimer);
    socket?.close(1000);
    socket = undefined;
    onState({ kind: 'stopped', reason });
  };

  const connect = async (forceRefresh: boolean) => {
    onState({ kind: 'connecting' });
    let url: string;
    try {
      url = await streamUrl(app);
    } catch (err) {
      retry(`the server's discovery failed: ${(err as Error).message}`);
      return;
    }
    if (closed) return;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      liveSince = Date.now();
      onState({ kind: 'live' });
      void sendToken(ws, forceRefresh);
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let event: CloudEvent;
      try {
        event = JSON.parse(message.data) as CloudEvent;
      } catch {
        return;
      }
      queue.push(event);
      if (queue.length > QUEUE_LIMIT) {
        const over = queue.length - QUEUE_LIMIT;
        queue.splice(0, over);
        dropped += over;
      }
    };
    ws.onclose = (event) => {
      if (ws !== socket || closed) return;
      clearTimeout(refreshTimer);
      socket = undefined;
      if (liveSince && Date.now() - liveSince > STABLE_MS) failures = 0;
      liveSince = 0;
      retry(reasonOf(event), event.code === POLICY_VIOLATION);
    };
  };

  const retry = (reason: string, refreshToken = false) => {
    if (closed) return;
    const delay = Math.min(BACKOFF_MAX_MS, 1_000 * 2 ** failures);
    failures++;
    onState({ kind: 'reconnecting', reason, inSeconds: Math.round(delay / 1000) });
    retryTimer = setTimeout(() => void connect(refreshToken), delay);
  };

  void connect(false);
  return {
    take() {
      const taken = { events: queue, dropped };
      queue = [];
      dropped = 0;
      return taken;
    },
    close() {
      closed = true;
      clearTimeout(refreshTimer);
      clearTimeout(retryTimer);
      socket?.close(1000);
      socket = undefined;
    },
  };
}
