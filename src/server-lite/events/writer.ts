// The event log's appends, made on a thread of their own (writer-thread.ts): the SQLite transaction and the disk
// sync of each group commit take the other core, not the event loop that serves devices. Each append is reported
// once it is on the disk, in the order appended.
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { startWorker } from '../worker-entry.js';
import type { WriteLock } from './store.js';

/** A commit on the disk: the appended events' positions, their time, and their bytes of JSON. */
export interface Committed {
  id: number;
  positions: number[];
  time: number;
  bytes: number;
}

/**
 * An append's events as two lines of text (one copy each across threads, not one per string): their apps, and their
 * JSON (which never holds a line break), each joined by "\n".
 */
export type ToWriter = { op: 'append'; id: number; time: number; apps: string; jsons: string } | { op: 'close' };

export type FromWriter =
  /** These commits were synced (error: the sync failed, and they may be lost). */
  | { op: 'synced'; commits: Committed[]; error?: string }
  /** This append's transaction failed: nothing of it was written. */
  | { op: 'failed'; id: number; error: string };

export type Appended = (err: Error | null, commit?: Committed) => void;

/**
 * Appends on their way at once: one the thread syncs, one it takes next. Appends made meanwhile wait, and gather into
 * one transaction, instead of a transaction and a message each (a message wakes a thread: not cheap).
 */
const MAX_IN_FLIGHT = 2;

/** How long close() waits for the thread to sync and close the database. */
const CLOSE_TIMEOUT_MS = 30_000;

export class EventWriter {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, Appended>();
  private nextId = 1;
  /** Why the thread is gone, once it is. */
  private failure?: Error;

  /** `lock`: the one the event loop's connection writes with. */
  constructor(dataDir: string, lock: WriteLock) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = startWorker(import.meta.url, 'event-writer', 'writer-thread', {
      workerData: { dataDir, port: port2, closed: this.closed, lock: lock.cell },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.on('message', (message: FromWriter) => this.received(message));
    this.port.unref();
    this.worker.on('error', (err) => this.fail(new Error(`the event log's writer thread failed: ${err.message}`)));
    this.worker.on('exit', () => this.fail(new Error("the event log's writer thread has stopped")));
  }

  /** Whether appends should wait (they would not be on the disk sooner). */
  get full(): boolean {
    return this.waiting.size >= MAX_IN_FLIGHT;
  }

  /**
   * Appends the events in one transaction; `done` once they are on the disk. Returns their JSON texts joined by `\n`
   * as sent: one flat string, whose slices cost no copy.
   */
  append(events: readonly { app: string; json: string }[], time: number, done: Appended): string {
    if (this.failure) {
      done(this.failure);
      return '';
    }
    const id = this.nextId++;
    // The event loop lives while an append waits for the thread (an idle writer never holds it).
    if (this.waiting.size === 0) this.port.ref();
    this.waiting.set(id, done);
    // Joined, not concatenated: a flat string, which the message copies once (a concatenation's tree of strings
    // would be flattened first, a copy more).
    const apps: string[] = new Array(events.length);
    const jsons: string[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      apps[i] = events[i].app;
      jsons[i] = events[i].json;
    }
    const message: ToWriter = { op: 'append', id, time, apps: apps.join('\n'), jsons: jsons.join('\n') };
    this.port.postMessage(message);
    return message.jsons;
  }

  /** Waits until every append made is synced and reported, and the thread has closed its connection. */
  close(): void {
    if (!this.failure) {
      this.port.postMessage({ op: 'close' } satisfies ToWriter);
      if (Atomics.wait(this.closed, 0, 0, CLOSE_TIMEOUT_MS) === 'timed-out') {
        this.fail(new Error("the event log's writer thread did not close in time"));
      }
    }
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      this.received(m.message as FromWriter);
    }
    this.port.close();
    this.fail(new Error('the event log is closed'));
    void this.worker.terminate();
  }

  private received(message: FromWriter): void {
    if (message.op === 'failed') {
      this.take(message.id)?.(new Error(`cannot write the event log: ${message.error}`));
      return;
    }
    const err = message.error === undefined ? null : new Error(`cannot sync the event log: ${message.error}`);
    for (const commit of message.commits) this.take(commit.id)?.(err, commit);
  }

  private take(id: number): Appended | undefined {
    const done = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.port.unref();
    return done;
  }

  /** The thread is gone: every append waiting and every later one fails. */
  private fail(err: Error): void {
    this.failure ??= err;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    this.port.unref();
    for (const done of waiting) done(this.failure);
  }
}
