// The event log's SQLite database, events.sqlite in the data directory (apart from drg.sqlite: its writes are many,
// its syncs full): the events, the running totals retention needs, and the consumer groups' committed positions.
// Two connections share it: the writer's thread appends (writer-thread.ts); the event loop reads, expires, and
// commits positions. Their writes take turns through a WriteLock, so that one waits for the other's transaction to
// end, woken as it does (SQLite's busy handler would sleep 1, 2, 5, 10... ms instead).
import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ownerOnlyFile } from '../store/db.js';

const SCHEMA_VERSION = 1;
const ROWS_PER_INSERT = 32;

const SCHEMA = `
CREATE TABLE events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  app TEXT NOT NULL,
  time INTEGER NOT NULL,
  size INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX events_by_app ON events (app, position);
-- What the events table holds, kept with every append and expiry: retention needs it, and a scan would be slow.
CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 1), events INTEGER NOT NULL, bytes INTEGER NOT NULL);
INSERT INTO totals VALUES (1, 0, 0);
-- A group's committed position: it is done with every event of its app up to it. seen: when it last had members.
CREATE TABLE groups (
  app TEXT NOT NULL,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  seen INTEGER NOT NULL,
  PRIMARY KEY (app, name)
) WITHOUT ROWID;
`;

/** An event on its way into the log. */
export interface NewRow {
  app: string;
  size: number;
  json: string;
}

export interface Row {
  position: number;
  app: string;
  time: number;
  json: string;
}

export interface Expired {
  events: number;
  bytes: number;
}

export interface GroupPosition {
  app: string;
  name: string;
  position: number;
}

/** How long a write waits for the other connection's before it fails. */
const LOCK_TIMEOUT_MS = 30_000;

/** A lock shared by threads (over shared memory): the connections' writes take turns with it. */
export class WriteLock {
  constructor(readonly cell = new Int32Array(new SharedArrayBuffer(4))) {}

  /** Runs `write` holding the lock: waits, woken when the holder lets go. */
  hold<T>(write: () => T): T {
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    while (Atomics.compareExchange(this.cell, 0, 0, 1) !== 0) {
      if (Date.now() > deadline) throw new Error('the event log stayed locked by its other connection');
      Atomics.wait(this.cell, 0, 1, 100);
    }
    try {
      return write();
    } finally {
      Atomics.store(this.cell, 0, 0);
      Atomics.notify(this.cell, 0, 1);
    }
  }
}

export class EventStore {
  private readonly db: Database.Database;
  private readonly walPath: string;
  /** The write-ahead log's file, which sync() flushes to the disk: opened by the first sync (the writer's thread). */
  private wal?: number;
  /** The last position given out (0 for none), also when retention removed it. */
  head: number;
  /** Every event up to here is gone (retention removed it). */
  expiredUpTo: number;
  /** The time of the newest event (appends never go back in time). */
  lastTime: number;
  retainedEvents: number;
  retainedBytes: number;

  private readonly addTotals: Database.Statement<[number, number]>;
  private readonly appendRows: Database.Transaction<
    (rows: NewRow[], time: number, bytes: number, positions: number[]) => void
  >;
  private readonly pageOf: Database.Statement<[string, number, number, number], Row>;
  private readonly countOf: Database.Statement<[string, number], { n: number }>;
  private readonly firstAtOrAfter: Database.Statement<[number], { position: number; time: number }>;
  private readonly oldest: Database.Statement<[number], { position: number; time: number; size: number }>;
  private readonly expireUpTo: Database.Transaction<(position: number, expired: Expired) => void>;
  private readonly groupOf: Database.Statement<[string, string], { position: number }>;
  private readonly upsertGroup: Database.Statement<[string, string, number, number]>;
  private readonly commitGroups: Database.Transaction<(groups: GroupPosition[], seen: number) => void>;
  private readonly staleGroups: Database.Statement<[number], { app: string; name: string }>;
  private readonly deleteGroup: Database.Statement<[string, string]>;

  constructor(
    dataDir: string,
    private readonly lock = new WriteLock(),
  ) {
    const file = ownerOnlyFile(dataDir, 'events.sqlite');
    this.walPath = `${file}-wal`;
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      // A commit writes the WAL without syncing it (SQLite syncs it before each checkpoint): sync() then flushes it,
      // on the writer's thread, so the event loop never waits for the disk, and one sync serves every commit made
      // meanwhile. What SQLite's `synchronous = FULL` would do, without blocking the event loop.
      this.db.pragma('synchronous = NORMAL');
      // No checkpoint inside a commit (it would run holding the write lock, for up to tens of ms): the writer's
      // thread checkpoints, outside it (checkpoint()).
      this.db.pragma('wal_autocheckpoint = 0');
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
    const db = this.db;
    this.head =
      (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
    const oldest = db.prepare('SELECT position FROM events ORDER BY position LIMIT 1').pluck().get() as
      | number
      | undefined;
    this.expiredUpTo = oldest === undefined ? this.head : oldest - 1;
    this.lastTime =
      (db.prepare('SELECT time FROM events ORDER BY position DESC LIMIT 1').pluck().get() as number | undefined) ?? 0;
    const totals = db.prepare('SELECT events, bytes FROM totals').get() as { events: number; bytes: number };
    this.retainedEvents = totals.events;
    this.retainedBytes = totals.bytes;

    this.addTotals = db.prepare('UPDATE totals SET events = events + ?, bytes = bytes + ?');
    // Many rows per statement: one call into SQLite for up to ROWS_PER_INSERT events (a statement for each count,
    // prepared when first needed). Their positions are consecutive.
    const inserts: Database.Statement<unknown[]>[] = [];
    const insertOf = (n: number) =>
      (inserts[n] ??= db.prepare(
        `INSERT INTO events (app, time, size, json) VALUES ${new Array(n).fill('(?, ?, ?, ?)').join(', ')}`,
      ));
    this.appendRows = db.transaction((rows: NewRow[], time: number, bytes: number, positions: number[]) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const n = Math.min(ROWS_PER_INSERT, rows.length - i);
        const values: unknown[] = new Array(n * 4);
        for (let k = 0; k < n; k++) {
          const row = rows[i + k];
          values[k * 4] = row.app;
          values[k * 4 + 1] = time;
          values[k * 4 + 2] = row.size;
          values[k * 4 + 3] = row.json;
        }
        const last = insertOf(n).run(values).lastInsertRowid as number;
        for (let k = n - 1; k >= 0; k--) positions.push(last - k);
      }
      this.addTotals.run(rows.length, bytes);
    });
    this.pageOf = db.prepare(
      'SELECT position, app, time, json FROM events WHERE app = ? AND position > ? AND position < ? ORDER BY position LIMIT ?',
    );
    this.countOf = db.prepare('SELECT count(*) AS n FROM events WHERE app = ? AND position > ?');
    this.firstAtOrAfter = db.prepare('SELECT position, time FROM events WHERE position >= ? ORDER BY position LIMIT 1');
    this.oldest = db.prepare('SELECT position, time, size FROM events ORDER BY position LIMIT ?');
    const deleteUpTo = db.prepare('DELETE FROM events WHERE position <= ?');
    this.expireUpTo = db.transaction((position: number, expired: Expired) => {
      deleteUpTo.run(position);
      this.addTotals.run(-expired.events, -expired.bytes);
    });
    this.groupOf = db.prepare('SELECT position FROM groups WHERE app = ? AND name = ?');
    this.upsertGroup = db.prepare(
      'INSERT INTO groups (app, name, position, seen) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (app, name) DO UPDATE SET position = excluded.position, seen = excluded.seen',
    );
    this.commitGroups = db.transaction((groups: GroupPosition[], seen: number) => {
      for (const g of groups) this.upsertGroup.run(g.app, g.name, g.position, seen);
    });
    this.staleGroups = db.prepare('SELECT app, name FROM groups WHERE seen < ? LIMIT 1000');
    this.deleteGroup = db.prepare('DELETE FROM groups WHERE app = ? AND name = ?');
  }

  /**
   * Flushes every commit made so far to the disk (the WAL's data), waiting. The WAL stays one file while the
   * database is open (it is reset in place after a checkpoint, never replaced).
   */
  sync(): void {
    this.wal ??= openSync(this.walPath, 'r');
    fdatasyncSync(this.wal);
  }

  /**
   * Copies the WAL's committed pages into the database, without waiting for anyone and without holding up writes
   * (a passive checkpoint), so that the WAL is reset and reused instead of growing.
   */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /**
   * Appends the rows in one transaction (on disk after the next sync); returns their positions and bytes. Throws when
   * the write fails.
   */
  append(rows: NewRow[], time: number): { positions: number[]; bytes: number } {
    const positions: number[] = [];
    const at = Math.max(time, this.lastTime);
    let bytes = 0;
    for (const row of rows) bytes += row.size;
    this.lock.hold(() => this.appendRows.immediate(rows, at, bytes, positions));
    this.appended(positions[positions.length - 1], at, rows.length, bytes);
    return { positions, bytes };
  }

  /** Takes note of an append, made here or on another connection (the writer's thread). */
  appended(head: number, time: number, events: number, bytes: number): void {
    this.head = head;
    this.lastTime = time;
    this.retainedEvents += events;
    this.retainedBytes += bytes;
  }

  /** Up to `limit` events of the app after `after` and before `before`, in order. */
  page(app: string, after: number, before: number, limit: number): Row[] {
    return this.pageOf.all(app, after, before, limit);
  }

  /** How many events of the app the log holds after `after`. */
  count(app: string, after: number): number {
    return this.countOf.get(app, after)!.n;
  }

  /**
   * The position before the first event appended at or after `time` (the head when there is none): a binary search
   * over positions, as times never decrease along the log.
   */
  positionBefore(time: number): number {
    let low = 1;
    let high = this.head + 1;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const found = this.firstAtOrAfter.get(mid);
      if (found === undefined || found.time >= time) high = mid;
      else low = found.position + 1;
    }
    const first = this.firstAtOrAfter.get(low);
    return first === undefined ? this.head : first.position - 1;
  }

  /**
   * Removes up to `limit` of the oldest events, oldest first, while they are older than `before` or the log holds
   * more than `maxBytes`; never the newest one. One short transaction.
   */
  expire(before: number, maxBytes: number, limit: number): Expired {
    const expired = { events: 0, bytes: 0 };
    let upTo = 0;
    for (const row of this.oldest.all(limit)) {
      if (row.position >= this.head) break;
      if (row.time >= before && this.retainedBytes - expired.bytes <= maxBytes) break;
      upTo = row.position;
      expired.events++;
      expired.bytes += row.size;
    }
    if (expired.events === 0) return expired;
    this.lock.hold(() => this.expireUpTo.immediate(upTo, expired));
    this.expiredUpTo = upTo;
    this.retainedEvents -= expired.events;
    this.retainedBytes -= expired.bytes;
    return expired;
  }

  groupPosition(app: string, name: string): number | undefined {
    return this.groupOf.get(app, name)?.position;
  }

  /** Writes the groups' committed positions in one transaction. */
  commit(groups: GroupPosition[], seen: number): void {
    if (groups.length > 0) this.lock.hold(() => this.commitGroups.immediate(groups, seen));
  }

  /** Forgets up to 1,000 groups last seen before `seen`, except those `active` says are in use. */
  forgetGroups(seen: number, active: (app: string, name: string) => boolean): number {
    const stale = this.staleGroups.all(seen).filter((g) => !active(g.app, g.name));
    if (stale.length === 0) return 0;
    this.lock.hold(() => {
      for (const g of stale) this.deleteGroup.run(g.app, g.name);
    });
    return stale.length;
  }

  close(): void {
    this.db.close();
    if (this.wal !== undefined) closeSync(this.wal);
  }

  private migrate(): void {
    const migration = this.db.transaction(() => {
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `events.sqlite was written by a newer drg (schema ${version}, this drg knows ${SCHEMA_VERSION})`,
        );
      }
      if (version === 0) {
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
    });
    this.lock.hold(() => migration.immediate());
  }
}
