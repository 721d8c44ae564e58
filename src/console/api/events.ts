// An application's live events through the WebSocket integration. A browser cannot set headers and no token goes in
// a URL: the socket opens without credentials and its first message is {"RefreshAccessToken": "<jwt>"}; a fresh one
// follows before each token expires. A closed stream is opened again, after 1, 2, 4 … at most 30 s; a close for
// a refused token (1008) first gets a fresh token. The socket itself lives in a worker (event-socket.worker.ts),
// which hands over the events in batches; they wait in a bounded queue that the page drains once per animation frame.
// Where the server replays kept events (discovery's event_replay: drg serve), a reconnect asks for those since the
// newest one received (`?since=`), and drops the ones it already had (by id): nothing sent meanwhile is missed.
import { WEBSOCKET_INTEGRATION_PATH } from '../../model/api-paths.js';
import type { CloudEvent } from '../../model/cloudevents.js';
import { accessToken, discovery } from '../auth/session.js';
import type { FromSocket, ToSocket } from './event-socket.worker.js';

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
/** The ids of this many of the latest events are remembered, to drop the ones a replay sends again. */
const SEEN_LIMIT = 5_000;

export interface EventStream {
  /** The events received since the last take, oldest first, and how many were dropped for the queue's bound. */
  take(): { events: CloudEvent[]; dropped: number };
  close(): void;
}

/**
 * The URL of the app's stream: discovery's `websocket_integration`, else this origin's; never a credential. With
 * `since` (ms), the events appended since then first, where the server keeps events.
 */
export async function streamUrl(app: string, since?: number): Promise<string> {
  const endpoints = await discovery();
  const base =
    endpoints.websocket_integration?.url ?? `${location.origin.replace(/^http/, 'ws')}${WEBSOCKET_INTEGRATION_PATH}`;
  const url = `${base.replace(/^http/, 'ws')}${encodeURIComponent(app)}`;
  return since !== undefined && endpoints.event_replay ? `${url}?since=${new Date(since).toISOString()}` : url;
}

/** The latest events' ids, in the order they came, at most SEEN_LIMIT. */
class SeenIds {
  private readonly ids = new Set<string>();
  private readonly order: string[] = [];
  private next = 0;

  /** Whether `id` was seen already; remembers it. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    if (this.order.length < SEEN_LIMIT) this.order.push(id);
    else {
      this.ids.delete(this.order[this.next]!);
      this.order[this.next] = id;
      this.next = (this.next + 1) % SEEN_LIMIT;
    }
    this.ids.add(id);
    return false;
  }
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

function reasonOf(event: { code: number; reason: string }): string {
  if (event.reason) return event.reason;
  if (event.code === 1006) return 'the connection was lost';
  return `closed (${event.code})`;
}

export function openEventStream(app: string, onState: (state: StreamState) => void): EventStream {
  const worker = new Worker(new URL('./event-socket.worker.ts', import.meta.url), { type: 'module' });
  const post = (message: ToSocket) => worker.postMessage(message);
  let queue: CloudEvent[] = [];
  let dropped = 0;
  const seen = new SeenIds();
  /** When the newest event received was made (ms): where a reconnect resumes. */
  let newest: number | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let liveSince = 0;
  let open = false;
  let closed = false;

  const sendToken = async (forceRefresh = false) => {
    const token = await accessToken({ forceRefresh });
    if (closed || !open) return;
    if (!token) {
      stop();
      onState({ kind: 'stopped', reason: 'You are logged out.' });
      return;
    }
    post({ send: JSON.stringify({ RefreshAccessToken: token }) });
    const expiry = expiryOf(token);
    const wait = expiry === undefined ? REFRESH_EVERY_MS : Math.max(1_000, expiry - Date.now() - REFRESH_BEFORE_MS);
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void sendToken(), wait);
  };

  const stop = () => {
    closed = true;
    clearTimeout(refreshTimer);
    clearTimeout(retryTimer);
    post({ close: true });
    worker.terminate();
  };

  let refreshFirst = false;
  worker.onmessage = ({ data }: MessageEvent<FromSocket>) => {
    if (closed) return;
    if ('events' in data) {
      const fresh = (data.events as CloudEvent[]).filter((event) => !seen.seen(event.id));
      for (const event of fresh) {
        const time = Date.parse(event.time);
        if (Number.isFinite(time) && (newest === undefined || time > newest)) newest = time;
      }
      queue = queue.concat(fresh);
      dropped += data.dropped;
      if (queue.length > QUEUE_LIMIT) {
        dropped += queue.length - QUEUE_LIMIT;
        queue = queue.slice(-QUEUE_LIMIT);
      }
    } else if ('opened' in data) {
      open = true;
      liveSince = Date.now();
      onState({ kind: 'live' });
      void sendToken(refreshFirst);
    } else {
      open = false;
      clearTimeout(refreshTimer);
      if (liveSince && Date.now() - liveSince > STABLE_MS) failures = 0;
      liveSince = 0;
      retry(reasonOf(data.closed), data.closed.code === POLICY_VIOLATION);
    }
  };

  const connect = async () => {
    onState({ kind: 'connecting' });
    try {
      const url = await streamUrl(app, newest);
      if (!closed) post({ open: url });
    } catch (err) {
      retry(`the server's discovery failed: ${(err as Error).message}`);
    }
  };

  const retry = (reason: string, refreshToken = false) => {
    if (closed) return;
    const delay = Math.min(BACKOFF_MAX_MS, 1_000 * 2 ** failures);
    failures++;
    refreshFirst = refreshToken;
    onState({ kind: 'reconnecting', reason, inSeconds: Math.round(delay / 1000) });
    retryTimer = setTimeout(() => void connect(), delay);
  };

  void connect();
  return {
    take() {
      const taken = { events: queue, dropped };
      queue = [];
      dropped = 0;
      return taken;
    },
    close: stop,
  };
}
