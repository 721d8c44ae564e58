// The live view's WebSocket, in a worker: thousands of messages a second would each be a task on the page's main
// thread, between its frames. Here they are parsed and handed to the page in one batch per BATCH_MS, at most the
// newest BATCH_LIMIT of them (the older ones counted as dropped). The page (api/events.ts) decides everything else:
// the URL, the tokens sent, reconnecting.

/** From the page. */
export type ToSocket = { open: string } | { send: string } | { close: true };
/** To the page. */
export type FromSocket =
  | { opened: true }
  | { closed: { code: number; reason: string } }
  | { events: unknown[]; dropped: number };

const BATCH_MS = 16;
export const BATCH_LIMIT = 2_000;

const scope = self as unknown as {
  postMessage(message: FromSocket): void;
  onmessage: ((event: MessageEvent<ToSocket>) => void) | null;
};

let socket: WebSocket | undefined;
let batch: unknown[] = [];
let dropped = 0;
/** A flush is due. */
let due = false;

function flush(): void {
  due = false;
  if (batch.length === 0 && dropped === 0) return;
  scope.postMessage({ events: batch, dropped });
  batch = [];
  dropped = 0;
}

scope.onmessage = ({ data }) => {
  if ('open' in data) {
    const ws = new WebSocket(data.open);
    socket = ws;
    ws.onopen = () => scope.postMessage({ opened: true });
    ws.onmessage = (message) => {
      if (ws !== socket || typeof message.data !== 'string') return;
      try {
        batch.push(JSON.parse(message.data));
      } catch {
        return;
      }
      if (batch.length > BATCH_LIMIT) {
        batch.shift();
        dropped++;
      }
      if (!due) {
        due = true;
        setTimeout(flush, BATCH_MS);
      }
    };
    ws.onclose = ({ code, reason }) => {
      if (ws !== socket) return;
      socket = undefined;
      flush();
      scope.postMessage({ closed: { code, reason } });
    };
  } else if ('send' in data) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(data.send);
  } else {
    const ws = socket;
    socket = undefined;
    ws?.close(1000);
  }
};
