// The event log's writer thread (src/server-lite/events/writer.ts): acknowledgements after the commit, in order;
// close() waits for everything made; a failed transaction or a dead thread fails the appends, clearly; an idle
// writer never keeps the process alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { EventStore, WriteLock } from '../../src/server-lite/events/store.js';
import { type Committed, EventWriter } from '../../src/server-lite/events/writer.js';
import { tempDir } from '../helpers/serve.js';

const row = (app: string, n: number) => ({ app, json: JSON.stringify({ n, text: 'a "quoted" line\nand more' }) });

/** A data directory with its events.sqlite created, as the event log opens it before its writer. */
function dataDir(): string {
  const dir = join(tempDir('drg-writer-'), 'data');
  new EventStore(dir).close();
  return dir;
}

function append(writer: EventWriter, rows: { app: string; json: string }[]): Promise<Committed> {
  return new Promise((resolve, reject) => {
    writer.append(rows, Date.now(), (err, commit) => (err ? reject(err) : resolve(commit!)));
  });
}

it('acknowledges each append once it is committed, in order, with consecutive positions and the JSON intact', async () => {
  const dir = dataDir();
  const writer = new EventWriter(dir, new WriteLock());
  const reader = new Database(join(dir, 'events.sqlite'), { readonly: true });
  try {
    const committedRows = () => reader.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const seen: number[] = [];
    const batches = [[row('a', 1)], [row('a', 2), row('b', 3), row('a', 4)], [row('b', 5)]];
    const commits = await Promise.all(
      batches.map((rows) =>
        append(writer, rows).then((commit) => {
          seen.push(committedRows());
          return commit;
        }),
      ),
    );
    assert.deepEqual(
      commits.map((c) => c.positions),
      [[1], [2, 3, 4], [5]],
    );
    // Each was visible to another connection when it was acknowledged.
    for (const [i, count] of seen.entries()) assert.ok(count >= commits[i].positions.at(-1)!);
    const stored = reader.prepare('SELECT position, app, size, json FROM events ORDER BY position').all() as {
      position: number;
      app: string;
      size: number;
      json: string;
    }[];
    assert.deepEqual(
      stored.map((r) => [r.app, r.json]),
      batches.flat().map((r) => [r.app, r.json]),
    );
    assert.deepEqual(
      commits.map((c) => c.bytes),
      batches.map((rows) => rows.reduce((sum, r) => sum + Buffer.byteLength(r.json), 0)),
    );
  } finally {
    reader.close();
    writer.close();
  }
});

it('close() returns once every append made is committed and acknowledged', () => {
  const dir = dataDir();
  const writer = new EventWriter(dir, new WriteLock());
  const acknowledged: number[] = [];
  for (let n = 1; n <= 50; n++) {
    writer.append([row('a', n)], Date.now(), (err) => {
      assert.equal(err, null);
      acknowledged.push(n);
    });
  }
  writer.close();
  assert.deepEqual(
    acknowledged,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  const db = new Database(join(dir, 'events.sqlite'), { readonly: true });
  assert.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 50);
  db.close();
  // Closed: appends fail at once.
  let failure: Error | null = null;
  writer.append([row('a', 51)], Date.now(), (err) => {
    failure = err;
  });
  assert.match(String(failure), /the event log is closed/);
});

it('fails an append whose transaction fails, with what SQLite said, and goes on with the next', async () => {
  const dir = dataDir();
  const writer = new EventWriter(dir, new WriteLock());
  try {
    await append(writer, [row('a', 1)]);
    const db = new Database(join(dir, 'events.sqlite'));
    db.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.app = 'bad' BEGIN SELECT RAISE(ABORT, 'no bad apps'); END",
    );
    db.close();
    await assert.rejects(
      append(writer, [row('a', 2), row('bad', 3)]),
      /^Error: cannot write the event log: no bad apps$/,
    );
    assert.deepEqual((await append(writer, [row('a', 4)])).positions, [2]);
  } finally {
    writer.close();
  }
});

it('fails the appends waiting, and every later one, when its thread is gone', async () => {
  const writer = new EventWriter(dataDir(), new WriteLock());
  await append(writer, [row('a', 1)]);
  // Its thread, stopped from outside (as a crash of it would).
  const worker = (writer as unknown as { worker: Worker }).worker;
  const waiting = append(writer, [row('a', 2)]);
  await worker.terminate();
  await assert.rejects(waiting, /the event log's writer thread has stopped/);
  await assert.rejects(append(writer, [row('a', 3)]), /the event log's writer thread has stopped/);
  writer.close();
});

it('never keeps the process alive once its appends are acknowledged', async () => {
  const script = `
    import { LocalEventLog } from ${JSON.stringify(join(import.meta.dirname, '../../src/server-lite/events/local-log.ts'))};
    const log = new LocalEventLog(${JSON.stringify(join(tempDir('drg-writer-'), 'data'))});
    await log.append([{ specversion: '1.0', id: 'x', type: 't', source: 's', application: 'a' }]);
    console.log('acknowledged');
  `;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env,
    stdio: 'pipe',
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  // Left open, never closed: the process ends by itself (the test would time out otherwise).
  const [code] = await once(child, 'exit');
  assert.equal(out.trim(), 'acknowledged');
  assert.equal(code, 0);
});

it("WriteLock: a write waits for the other thread's to end", async () => {
  const lock = new WriteLock();
  // Set by the other thread just before it lets go.
  const state = new Int32Array(new SharedArrayBuffer(4));
  const holder = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const [lock, done] = [workerData.lock, workerData.done];
     Atomics.store(lock, 0, 1);
     parentPort.postMessage('holding');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
     Atomics.store(done, 0, 1);
     Atomics.store(lock, 0, 0);
     Atomics.notify(lock, 0);`,
    { eval: true, workerData: { lock: lock.cell, done: state } },
  );
  await once(holder, 'message');
  const sawDone = lock.hold(() => Atomics.load(state, 0));
  assert.equal(sawDone, 1);
  await once(holder, 'exit');
});

/** This process's open files that are an events.sqlite-wal (SQLite's own, and the store's for its syncs). */
function openWalFiles(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).endsWith('events.sqlite-wal');
    } catch {
      return false; // closed meanwhile (the directory's own fd)
    }
  }).length;
}

it("opens the write-ahead log's file for its syncs only: the event loop's connection, which never syncs, holds none", () => {
  const dir = dataDir();
  const before = openWalFiles();
  const store = new EventStore(dir);
  try {
    store.append([{ app: 'a', size: 2, json: '{}' }], Date.now());
    const sqliteOnly = openWalFiles();
    store.sync();
    assert.equal(openWalFiles(), sqliteOnly + 1, 'the first sync opens it');
    store.sync();
    assert.equal(openWalFiles(), sqliteOnly + 1, 'and keeps it for the next ones');
  } finally {
    store.close();
  }
  assert.equal(openWalFiles(), before, 'close() closes it');
});
