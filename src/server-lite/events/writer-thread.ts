// The event log's writer thread (writer.ts): appends are SQLite transactions on a connection of its own, and the
// write-ahead log is synced to the disk here, waiting (this thread has nothing else to do), so that the event loop
// serving devices pays for neither. The appends that came during a sync are committed together and share the next
// one. Built to dist/event-writer.cjs, beside the bundle that starts it.
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { EventStore, type NewRow, WriteLock } from './store.js';
import type { Committed, ToWriter } from './writer.js';

const { dataDir, port, closed, lock } = workerData as {
  dataDir: string;
  port: MessagePort;
  closed: Int32Array;
  lock: Int32Array<SharedArrayBuffer>;
};
const store = new EventStore(dataDir, new WriteLock(lock));

/** Bytes of events appended since the last checkpoint, beyond which the next sync is followed by one (~1,000 pages). */
const CHECKPOINT_BYTES = 4 * 2 ** 20;
/** A checkpoint at least this often, for what the event loop's connection wrote (retention, groups' positions). */
const CHECKPOINT_INTERVAL_MS = 1_000;
let uncheckpointed = 0;
const checkpointTimer = setInterval(checkpoint, CHECKPOINT_INTERVAL_MS);

function checkpoint(): void {
  uncheckpointed = 0;
  try {
    store.checkpoint();
  } catch {
    // Tried again at the next one; the WAL only grows meanwhile.
  }
}

port.on('message', (first: ToWriter) => {
  const commits: Committed[] = [];
  let closing = false;
  for (let message: ToWriter | undefined = first; message; message = receiveMessageOnPort(port)?.message) {
    if (message.op === 'close') closing = true;
    else append(message, commits);
  }
  if (commits.length > 0) {
    let error: string | undefined;
    try {
      store.sync();
    } catch (err) {
      error = (err as Error).message;
    }
    port.postMessage({ op: 'synced', commits, error });
    for (const commit of commits) uncheckpointed += commit.bytes;
    if (uncheckpointed >= CHECKPOINT_BYTES) checkpoint();
  }
  if (closing) close();
});

function append({ id, time, apps, jsons }: Extract<ToWriter, { op: 'append' }>, commits: Committed[]): void {
  const appOf = apps.split('\n');
  const jsonOf = jsons.split('\n');
  const rows: NewRow[] = new Array(jsonOf.length);
  for (let i = 0; i < jsonOf.length; i++) {
    rows[i] = { app: appOf[i], size: Buffer.byteLength(jsonOf[i]), json: jsonOf[i] };
  }
  try {
    const { positions, bytes } = store.append(rows, time);
    commits.push({ id, positions, time: store.lastTime, bytes });
  } catch (err) {
    port.postMessage({ op: 'failed', id, error: (err as Error).message });
  }
}

/** Closes the database, and wakes the event loop waiting in EventWriter.close(). */
function close(): void {
  clearInterval(checkpointTimer);
  try {
    store.close();
  } finally {
    port.close();
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
  }
}
