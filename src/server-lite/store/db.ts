// The embedded SQL store: SQLite (better-sqlite3) in WAL mode, schema migrated on open.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from './migrations/index.js';

export type Db = Database.Database;

/** How long a connection waits for another's lock (migrations and writes of several connections). */
const BUSY_TIMEOUT_MS = 5000;

export function openStore(dataDir: string): Db {
  const db = new Database(ownerOnlyFile(dataDir, 'drg.sqlite'), { timeout: BUSY_TIMEOUT_MS });
  try {
    useWal(db);
    // WAL + NORMAL: a committed transaction survives a process crash (kill -9); fsync at checkpoints.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Switches a database into WAL mode. That takes the database to itself, and SQLite does not wait when other
 * connections switch it at the same moment (it would risk a deadlock): such a switch is retried for a while.
 */
function useWal(db: Db): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/**
 * The path of a file in the data directory (created 0700), made owner-only (0600) whatever the directory's mode:
 * the database holds password hashes, signing keys and live grants. SQLite gives the -wal and -shm files the
 * database file's permissions.
 */
export function ownerOnlyFile(dataDir: string, name: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, name);
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  return file;
}

/**
 * Applies the migrations the database lacks, in one IMMEDIATE transaction that reads the schema version only once
 * it holds the write lock: processes opening one fresh database at once migrate it once, one after the other.
 */
export function migrate(db: Db): void {
  const latest = migrations.at(-1)?.version ?? 0;
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new Error(`the data directory was written by a newer drg (schema ${current}, this drg knows ${latest})`);
    }
    for (const m of migrations) if (m.version > current) db.exec(m.sql);
    if (current < latest) db.pragma(`user_version = ${latest}`);
  }).immediate();
}
